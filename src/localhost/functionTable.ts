/**
 * Turns the registered functions into an HTTP route table: route prefix + route template (default: the
 * function name), allowed methods, and ASP.NET's route precedence.
 */
import type { EffectiveFunctionOptions, FunctionInput, FunctionOutput, FunctionTrigger } from '@azure/functions';
import type { CoreBindingInfo, CoreFunctionCallback, RegisteredFunction } from './functionsCore';
import { compareRoutePrecedence, RouteTemplate, RouteTemplateError } from './routeTemplate';

/** The library's name for the binding that receives the handler's return value. */
export const returnBindingName = '$return';

export interface HttpFunction {
  name: string;
  callback: CoreFunctionCallback;
  /** Upper-case methods; undefined means every method (a trigger without `methods`). */
  methods?: string[];
  authLevel: string;
  /** The full template including the route prefix, for printing. */
  routeTemplate: string;
  template: RouteTemplate;
  options: EffectiveFunctionOptions;
  /** Position in registration order, the tie-breaker after precedence. */
  order: number;
}

export interface SkippedFunction {
  name: string;
  triggerType: string;
}

export interface FunctionTable {
  httpFunctions: HttpFunction[];
  skipped: SkippedFunction[];
}

function isTriggerType(type: string | null | undefined): boolean {
  return !!type && /trigger$/i.test(type);
}

/** The same split the library's `fromRpcBindings` makes, so `context.options` looks as it does in Azure. */
export function toEffectiveOptions(bindings: Record<string, CoreBindingInfo>): EffectiveFunctionOptions {
  let trigger: FunctionTrigger | undefined;
  let returnBinding: FunctionOutput | undefined;
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  for (const [name, binding] of Object.entries(bindings)) {
    const described = { ...binding, type: String(binding.type ?? ''), name };
    if (isTriggerType(binding.type)) trigger = described;
    else if (name === returnBindingName) returnBinding = described;
    else if (binding.direction === 'in') extraInputs.push(described);
    else if (binding.direction === 'out') extraOutputs.push(described);
  }
  if (!trigger) throw new Error('A function must have exactly one trigger binding.');
  return { trigger, return: returnBinding, extraInputs, extraOutputs };
}

function joinRoute(prefix: string, route: string): string {
  const cleanRoute = route.replace(/^~?\/+/, '');
  if (!prefix) return cleanRoute;
  return cleanRoute ? `${prefix}/${cleanRoute}` : prefix;
}

export class FunctionRegistrationError extends Error {
  override name = 'FunctionRegistrationError';
}

export function buildFunctionTable(functions: RegisteredFunction[], routePrefix: string): FunctionTable {
  const httpFunctions: HttpFunction[] = [];
  const skipped: SkippedFunction[] = [];
  const names = new Set<string>();
  functions.forEach(({ metadata, callback }, order) => {
    const name = metadata.name;
    if (names.has(name.toLowerCase())) {
      throw new FunctionRegistrationError(`Function "${name}" is registered more than once; function names must be unique.`);
    }
    names.add(name.toLowerCase());
    let options: EffectiveFunctionOptions;
    try {
      options = toEffectiveOptions(metadata.bindings);
    } catch (error) {
      throw new FunctionRegistrationError(`Function "${name}": ${(error as Error).message}`);
    }
    const trigger = options.trigger;
    if (trigger.type.toLowerCase() !== 'httptrigger') {
      skipped.push({ name, triggerType: trigger.type });
      return;
    }
    const route = typeof trigger.route === 'string' && trigger.route.trim() !== '' ? trigger.route.trim() : name;
    const routeTemplate = joinRoute(routePrefix, route);
    let template: RouteTemplate;
    try {
      template = new RouteTemplate(routeTemplate);
    } catch (error) {
      const message = error instanceof RouteTemplateError ? error.message : String(error);
      throw new FunctionRegistrationError(`Function "${name}": ${message}`);
    }
    const methods = Array.isArray(trigger.methods) ? trigger.methods.map((method) => String(method).toUpperCase()) : undefined;
    const authLevel = typeof trigger.authLevel === 'string' ? trigger.authLevel : 'anonymous';
    httpFunctions.push({ name, callback, methods, authLevel, routeTemplate, template, options, order });
  });
  httpFunctions.sort((a, b) => compareRoutePrecedence(a.template, b.template) || a.order - b.order);
  return { httpFunctions, skipped };
}

export type RouteLookup =
  | { kind: 'found'; fn: HttpFunction; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

export function findRoute(table: FunctionTable, pathSegments: string[], method: string): RouteLookup {
  const allowed = new Set<string>();
  let matchedPath = false;
  for (const fn of table.httpFunctions) {
    const match = fn.template.match(pathSegments);
    if (!match) continue;
    matchedPath = true;
    if (!fn.methods || fn.methods.includes(method)) return { kind: 'found', fn, params: match.params };
    fn.methods.forEach((allowedMethod) => allowed.add(allowedMethod));
  }
  return matchedPath ? { kind: 'methodNotAllowed', allowed: [...allowed] } : { kind: 'notFound' };
}
