import type { FunctionInput, FunctionOutput, HttpFunctionOptions, HttpHandler, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { EndpointRouter } from '../client/endpoints/router';
import type { CallOptions } from '../client/rest/restApi';
import { toErrorResponse } from './errorResponse';
import { defaultServiceFactory, resolveConnectionInfo, resolveOutputTarget, type SignalRServiceFactory } from './connectionInfo';
import { inputSpecOf, outputSpecOf, type InputSpec, type OutputSpec } from './declarations';
import { resolveEndpointsInput, resolveNegotiationInput } from './endpointInputs';
import { bodyReaderFor, type Environment, type ResolutionSource } from './expressions';
import { normalizeSignalROutput } from './outputItems';
import { sendAll } from './send';

/**
 * Runs the SignalR bindings IN PROCESS around an HTTP function.
 *
 * There is no SignalR extension loaded in the Functions host (this app ships no .NET extension bundle
 * entry for it), so a `signalRConnectionInfo` / `signalR` binding registered with the host would make it
 * refuse to start. `withSignalR` therefore takes the same options as `app.http`, removes OUR binding objects
 * from `extraInputs` / `extraOutputs` (real bindings stay and go to the host), and around the handler:
 *
 * 1. resolves each input (connection info, endpoints, negotiation) from the request and stores it with
 *    `context.extraInputs.set`;
 * 2. runs the handler;
 * 3. reads each output with `context.extraOutputs.get`, validates every item, then performs the items
 *    sequentially in array order (outputs in declaration order) — per-target order is kept.
 *
 * Failures: if an input cannot be resolved the handler does not run; if a send fails the remaining items
 * are not sent. In both cases the HTTP caller gets a JSON error instead of the handler's response
 * (400 bad binding value from the request, 500 configuration, 502 service rejected, 503 unreachable,
 * 504 timeout; see src/bindings/errorResponse.ts) and the failure is logged with `context.error`.
 * WHY a response rather than a thrown error: a thrown error gives the caller a bare 500 with no body,
 * while the official binding's "the invocation fails" is meant to tell the caller the messages were not
 * delivered — a JSON 5xx says that, and says why. Errors thrown by the handler itself are rethrown as is,
 * and then nothing is sent (as with the host: outputs are only flushed after a successful run).
 *
 * The same handler runs unchanged with the official extension; only the declarations change:
 *
 * ```ts
 * // today, in process                                   // later, with the official extension
 * const connectionInfo = signalRInput.connectionInfo({   // const connectionInfo = input.generic({
 *   hubName: 'chat',                                      //   type: 'signalRConnectionInfo', name: 'connectionInfo',
 *   userId: '{headers.x-ms-client-principal-id}',         //   hubName: 'chat', userId: '{headers.x-ms-client-principal-id}',
 * });                                                     //   connectionStringSetting: 'AzureSignalRConnectionString' });
 * const signalR = signalROutput.signalR({ hubName: 'chat' });
 *                                                         // const signalR = output.generic({ type: 'signalR',
 *                                                         //   name: 'signalR', hubName: 'chat',
 *                                                         //   connectionStringSetting: 'AzureSignalRConnectionString' });
 * app.http('negotiate', withSignalR({                     // app.http('negotiate', {
 *   methods: ['POST'], authLevel: 'anonymous',            //   methods: ['POST'], authLevel: 'anonymous',
 *   extraInputs: [connectionInfo], extraOutputs: [signalR],
 *   handler: async (request, context) =>                  //   ...same extraInputs, extraOutputs and handler
 *     ({ jsonBody: context.extraInputs.get(connectionInfo) }),
 * }));                                                    // });
 * ```
 */
export interface SignalRAdapterOptions {
  /** Where app settings come from, read on every invocation. Default `process.env`. */
  env?: () => Environment;
  /** Per-call options for the REST calls outputs make (e.g. `timeoutMs`). */
  callOptions?: (env: Environment) => CallOptions | undefined;
  /** How a connection-string setting becomes a service. Default `getSignalRService` (cached per setting value). */
  serviceFactory?: SignalRServiceFactory;
  /**
   * With several SignalR Service endpoints: the app's router (shaped like the official `IEndpointRouter`;
   * methods left out route as by default). `connectionInfo` inputs ask its `getNegotiateEndpoint` with the
   * request's headers and query; outputs ask its `getEndpointsFor…` methods.
   */
  router?: Partial<EndpointRouter>;
}

/** The extra bindings of any function's options. */
export type ExtraBindings = Pick<HttpFunctionOptions, 'extraInputs' | 'extraOutputs'>;

export interface SplitBindings {
  inputs: Array<{ binding: FunctionInput; spec: InputSpec }>;
  outputs: Array<{ binding: FunctionOutput; spec: OutputSpec }>;
  hostInputs: FunctionInput[];
  hostOutputs: FunctionOutput[];
}

/** Extra bindings are looked up by name in the invocation context, so two with one name would share a slot. */
function assertDistinctNames(options: ExtraBindings): void {
  const seen = new Set<string>();
  for (const binding of [...(options.extraInputs ?? []), ...(options.extraOutputs ?? [])]) {
    if (seen.has(binding.name)) {
      throw new TypeError(`two bindings of one function are named '${binding.name}'; give each SignalR binding a distinct \`name\``);
    }
    seen.add(binding.name);
  }
}

/** Separates this adapter's bindings (run in process) from real host bindings, which go to the host. */
export function splitBindings(options: ExtraBindings): SplitBindings {
  assertDistinctNames(options);
  const split: SplitBindings = { inputs: [], outputs: [], hostInputs: [], hostOutputs: [] };
  for (const binding of options.extraInputs ?? []) {
    const spec = inputSpecOf(binding);
    if (spec === undefined) split.hostInputs.push(binding);
    else split.inputs.push({ binding, spec });
  }
  for (const binding of options.extraOutputs ?? []) {
    const spec = outputSpecOf(binding);
    if (spec === undefined) split.hostOutputs.push(binding);
    else split.outputs.push({ binding, spec });
  }
  return split;
}

export function withSignalR(options: HttpFunctionOptions, adapter: SignalRAdapterOptions = {}): HttpFunctionOptions {
  const split = splitBindings(options);
  const readEnv = adapter.env ?? ((): Environment => process.env);
  const serviceFactory = adapter.serviceFactory ?? defaultServiceFactory;
  const innerHandler = options.handler;

  const handler: HttpHandler = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit | HttpResponse> => {
    const env = readEnv();
    const source: ResolutionSource = { request, env, body: bodyReaderFor(request) };
    try {
      await resolveSignalRInputs(split.inputs, context, source, serviceFactory, adapter.router);
    } catch (error) {
      return toErrorResponse(error, context);
    }

    const response = await innerHandler(request, context);

    try {
      await flushSignalROutputs(split.outputs, context, source, serviceFactory, withRouter(adapter.callOptions?.(env), adapter.router));
    } catch (error) {
      return toErrorResponse(error, context);
    }
    return response;
  };

  const wrapped: HttpFunctionOptions = { ...options, handler };
  // Leave the keys out entirely when nothing real remains, so the registered metadata stays minimal.
  if (split.hostInputs.length > 0) wrapped.extraInputs = split.hostInputs;
  else delete wrapped.extraInputs;
  if (split.hostOutputs.length > 0) wrapped.extraOutputs = split.hostOutputs;
  else delete wrapped.extraOutputs;
  return wrapped;
}

function withRouter(options: CallOptions | undefined, router: Partial<EndpointRouter> | undefined): CallOptions | undefined {
  return router === undefined ? options : { ...options, router };
}

/** Resolves one input declaration for this request. */
function resolveInput(spec: InputSpec, source: ResolutionSource, serviceFactory: SignalRServiceFactory, router: Partial<EndpointRouter> | undefined): Promise<unknown> {
  switch (spec.kind) {
    case 'connectionInfo':
      return resolveConnectionInfo(spec, source, serviceFactory, router);
    case 'negotiation':
      return resolveNegotiationInput(spec, source, serviceFactory);
    case 'endpoints':
      return resolveEndpointsInput(spec, source, serviceFactory);
  }
}

/** Resolves the SignalR inputs into `context.extraInputs`. Exposed for other wrappers and tests. */
export async function resolveSignalRInputs(
  inputs: ReadonlyArray<{ binding: FunctionInput; spec: InputSpec }>,
  context: InvocationContext,
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
  router?: Partial<EndpointRouter>,
): Promise<void> {
  for (const { binding, spec } of inputs) {
    context.extraInputs.set(binding, await resolveInput(spec, source, serviceFactory, router));
  }
}

/**
 * Validates every output's items first (so a bad item means nothing is sent), then sends them in order.
 * Throws SignalROutputValidationError or SignalRSendError.
 */
export async function flushSignalROutputs(
  outputs: ReadonlyArray<{ binding: FunctionOutput; spec: OutputSpec }>,
  context: InvocationContext,
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
  callOptions?: CallOptions,
): Promise<void> {
  const batches = outputs.map(({ binding, spec }) => ({ spec, items: normalizeSignalROutput(context.extraOutputs.get(binding)) }));
  for (const { spec, items } of batches) {
    if (items.length === 0) continue;
    const { service, hub } = await resolveOutputTarget(spec, source, serviceFactory);
    await sendAll(service.rest, hub, items, callOptions, service.endpoints);
  }
}
