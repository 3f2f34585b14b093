/**
 * The `signalRTrigger` declaration, shaped like the official one
 * (`trigger.generic({ type: 'signalRTrigger', name, hubName, category, event, parameterNames, connectionStringSetting })`),
 * and what its handler receives: the invocation context of the official trigger, PascalCase keys and all.
 */
import type { FunctionTrigger, InvocationContext } from '@azure/functions';
import { CONNECTION_EVENTS, UPSTREAM_CATEGORIES, type UpstreamCategory } from '../contract';
import { DEFAULT_CONNECTION_STRING_SETTING } from './declarations';
import { parseExpression, type ParsedExpression } from './expressions';

export interface SignalRTriggerOptions {
  /** The hub, literal or with `%AppSetting%` parts. */
  hubName: string;
  /** `connections` (events `connected`, `disconnected`) or `messages` (event = the hub method's name). */
  category: UpstreamCategory;
  event: string;
  /** Names for the invocation's arguments, by position; the count must match what the client sends. */
  parameterNames?: string[];
  /** App setting with the connection string (its AccessKeys check the upstream's signature). Default `AzureSignalRConnectionString`. */
  connectionStringSetting?: string;
  /** Binding name; default `invocation`. */
  name?: string;
}

export interface SignalRTriggerDeclaration extends FunctionTrigger {
  type: 'signalRTrigger';
  hubName: string;
  category: UpstreamCategory;
  event: string;
  parameterNames: string[];
  connectionStringSetting: string;
}

/** What the handler receives, as the official trigger gives it to a Node.js function. */
export interface SignalRInvocationContext {
  ConnectionId: string;
  UserId: string | null;
  Hub: string;
  Category: UpstreamCategory;
  Event: string;
  /** The invoked method's arguments (`messages`); null for `connections` events. */
  Arguments: unknown[] | null;
  /** Why a connection ended (`disconnected`), when it ended with an error. */
  Error: string | null;
  /** The upstream request's headers (lower-case names). */
  Headers: Record<string, string>;
  /** The client's connect query; null when it had none. */
  Query: Record<string, string> | null;
  /** The claims of the client's access token; null when it had none. */
  Claims: Record<string, string> | null;
}

export type SignalRTriggerHandler = (invocation: SignalRInvocationContext, context: InvocationContext) => unknown;

/** The parsed declaration, kept beside the binding object. */
export interface SignalRTriggerSpec {
  hubName: ParsedExpression;
  category: UpstreamCategory;
  event: string;
  parameterNames: readonly string[];
  connectionStringSetting: string;
}

const specs = new WeakMap<object, SignalRTriggerSpec>();

/** Declaration mistakes throw when the module loads, as the host refuses such a function at startup. */
export function signalRTrigger(options: SignalRTriggerOptions): SignalRTriggerDeclaration {
  if (typeof options.hubName !== 'string' || options.hubName.trim() === '') throw new TypeError('signalRTrigger: hubName is required');
  const hubName = parseExpression(options.hubName);
  if (hubName.usesRequest) throw new TypeError(`signalRTrigger: hubName '${options.hubName}' may use %AppSetting% but not {…} expressions`);
  if (!UPSTREAM_CATEGORIES.includes(options.category)) {
    throw new TypeError(`signalRTrigger: category must be ${UPSTREAM_CATEGORIES.map((c) => `'${c}'`).join(' or ')}, got '${String(options.category)}'`);
  }
  if (typeof options.event !== 'string' || options.event.trim() === '') throw new TypeError('signalRTrigger: event is required');
  if (options.category === 'connections' && !(CONNECTION_EVENTS as readonly string[]).includes(options.event)) {
    throw new TypeError(`signalRTrigger: event '${options.event}' is not one of the connections events (${CONNECTION_EVENTS.join(', ')})`);
  }
  const parameterNames = options.parameterNames ?? [];
  if (!Array.isArray(parameterNames) || parameterNames.some((p) => typeof p !== 'string' || p.trim() === '')) {
    throw new TypeError('signalRTrigger: parameterNames must be an array of names');
  }
  const lowered = parameterNames.map((p) => p.toLowerCase());
  if (new Set(lowered).size !== lowered.length) throw new TypeError('signalRTrigger: parameterNames must be unique, ignoring case');
  const connectionStringSetting = options.connectionStringSetting ?? DEFAULT_CONNECTION_STRING_SETTING;
  if (typeof connectionStringSetting !== 'string' || connectionStringSetting.trim() === '') throw new TypeError('signalRTrigger: connectionStringSetting must be a non-empty app setting name');
  const declaration: SignalRTriggerDeclaration = {
    type: 'signalRTrigger',
    name: options.name ?? 'invocation',
    hubName: options.hubName,
    category: options.category,
    event: options.event,
    parameterNames: [...parameterNames],
    connectionStringSetting,
  };
  specs.set(declaration, { hubName, category: options.category, event: options.event, parameterNames: [...parameterNames], connectionStringSetting });
  return declaration;
}

export function signalRTriggerSpecOf(trigger: object): SignalRTriggerSpec | undefined {
  return specs.get(trigger);
}
