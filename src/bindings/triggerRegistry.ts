/**
 * The SignalR trigger functions of the app, registered the way `app.generic` registers a function with the
 * official trigger, and found again by (hub, category, event) when the upstream calls. The Functions host cannot
 * run a `signalRTrigger` without the .NET extension, so these functions run in process, dispatched by one HTTP
 * function (see upstreamEndpoint.ts).
 */
import type { FunctionInput, FunctionOutput } from '@azure/functions';
import { isValidHubName, HUB_NAME_RULE } from '../contract';
import { ConfigError } from '../client/config/connectionString';
import { resolveExpression, type ResolutionSource } from './expressions';
import { signalRTriggerSpecOf, type SignalRTriggerDeclaration, type SignalRTriggerHandler, type SignalRTriggerSpec } from './signalRTrigger';
import { splitBindings, type SplitBindings } from './withSignalR';

/** What `signalRApp.generic` takes: the options of `app.generic` with a SignalR trigger. */
export interface SignalRFunctionOptions {
  trigger: SignalRTriggerDeclaration;
  handler: SignalRTriggerHandler;
  extraInputs?: FunctionInput[];
  extraOutputs?: FunctionOutput[];
}

export interface RegisteredSignalRFunction {
  readonly name: string;
  readonly spec: SignalRTriggerSpec;
  readonly options: SignalRFunctionOptions;
  readonly bindings: SplitBindings;
}

export interface ResolvedSignalRFunction {
  readonly fn: RegisteredSignalRFunction;
  /** The hub, resolved from the declaration's expression. */
  readonly hub: string;
}

/** The dispatch key: hub, category and event compared ignoring case, as the official trigger does. */
export function dispatchKey(hub: string, category: string, event: string): string {
  return `${hub.toLowerCase()}\u0000${category.toLowerCase()}\u0000${event.toLowerCase()}`;
}

export class SignalRTriggerRegistry {
  private readonly functions: RegisteredSignalRFunction[] = [];
  private cache: { hubs: string; table: Map<string, ResolvedSignalRFunction> } | undefined;

  register(name: string, options: SignalRFunctionOptions): void {
    if (typeof name !== 'string' || !/^[A-Za-z][\w-]{0,127}$/.test(name)) throw new TypeError(`SignalR function name '${String(name)}' must start with a letter and hold only letters, digits, _ and -`);
    if (this.functions.some((fn) => fn.name.toLowerCase() === name.toLowerCase())) throw new TypeError(`a SignalR function named '${name}' is already registered`);
    const spec = signalRTriggerSpecOf(options.trigger);
    if (spec === undefined) throw new TypeError(`SignalR function '${name}': trigger must come from signalRTrigger({...})`);
    if (typeof options.handler !== 'function') throw new TypeError(`SignalR function '${name}': handler must be a function`);
    this.functions.push({ name, spec, options, bindings: splitBindings(options) });
    this.cache = undefined;
  }

  list(): readonly RegisteredSignalRFunction[] {
    return this.functions;
  }

  /** The app settings whose connection strings the registered triggers use. */
  connectionSettings(): string[] {
    return [...new Set(this.functions.map((fn) => fn.spec.connectionStringSetting))];
  }

  /**
   * Every function by its resolved (hub, category, event). Hubs are resolved against the app settings (`%SignalRHubName%`);
   * an invalid hub or two functions on one key is a ConfigError naming them.
   */
  async table(source: ResolutionSource): Promise<Map<string, ResolvedSignalRFunction>> {
    const hubs: string[] = [];
    for (const fn of this.functions) {
      const hub = (await resolveExpression(fn.spec.hubName, source)) ?? '';
      if (!isValidHubName(hub)) throw new ConfigError(fn.spec.hubName.source, `SignalR function '${fn.name}': hubName resolves to '${hub}', which is not a valid hub name: ${HUB_NAME_RULE}`);
      hubs.push(hub);
    }
    const signature = hubs.join('\u0000');
    if (this.cache?.hubs === signature) return this.cache.table;
    const table = new Map<string, ResolvedSignalRFunction>();
    this.functions.forEach((fn, index) => {
      const hub = hubs[index]!;
      const key = dispatchKey(hub, fn.spec.category, fn.spec.event);
      const existing = table.get(key);
      if (existing !== undefined) {
        throw new ConfigError(fn.spec.connectionStringSetting, `SignalR functions '${existing.fn.name}' and '${fn.name}' both handle hub '${hub}', category '${fn.spec.category}', event '${fn.spec.event}'`);
      }
      table.set(key, { fn, hub });
    });
    this.cache = { hubs: signature, table };
    return table;
  }
}

/** The registry `signalRApp.generic` fills and the upstream endpoint reads by default. */
export const defaultSignalRTriggerRegistry = new SignalRTriggerRegistry();

/**
 * Registers a SignalR trigger function, as `app.generic(name, options)` does with the official extension:
 *
 * ```ts
 * signalRApp.generic('broadcast', { trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'broadcast' }), handler });
 * // official: app.generic('broadcast', { trigger: trigger.generic({ type: 'signalRTrigger', name: 'invocation',
 * //   hubName: 'chat', category: 'messages', event: 'broadcast', connectionStringSetting: 'AzureSignalRConnectionString' }), handler });
 * ```
 */
export const signalRApp = {
  generic(name: string, options: SignalRFunctionOptions): void {
    defaultSignalRTriggerRegistry.register(name, options);
  },
};
