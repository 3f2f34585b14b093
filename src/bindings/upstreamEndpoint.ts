/**
 * The one HTTP function that receives the service's upstream calls and runs the SignalR trigger functions,
 * answering as the official extension's webhook does:
 *
 * | status | when |
 * |---|---|
 * | 200 | done. For an invocation with an id the body is the framed Completion in the request's protocol: the function's return value, or its error message when it threw (the real service forwards only a 2xx body, so this is the one way the message reaches the client on Azure) |
 * | 400 | a required `X-ASRS-*` header is missing or empty, the category is unknown, the body does not fit, the event is not the message's target; a send whose argument count does not match `parameterNames` |
 * | 401 | `X-ASRS-Signature` matches no AccessKey of the connection strings the triggers use |
 * | 403 | the `connected` function failed |
 * | 404 | no function for that hub, category and event; the body names what was received and what is registered |
 * | 415 | the content type is neither `application/json` nor `application/x-msgpack` |
 * | 500 | a send's function failed (its message in the body), or a setting is missing or invalid |
 *
 * `disconnected` always answers 200: the client is gone, nothing waits for it. Error bodies use the app's JSON
 * error shape; no stack trace or secret ever goes into an answer.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext, type HttpHandler, type HttpRequest, type HttpResponseInit, type LogLevel } from '@azure/functions';
import { isValidUpstreamSignature, UpstreamHeaders } from '../contract';
import { scrubSecrets } from '../client/rest/errors';
import type { HubProtocol } from '../protocol/hubProtocol';
import { MessageType } from '../protocol/messages';
import { defaultServiceFactory, type SignalRServiceFactory } from './connectionInfo';
import { toErrorResponse } from './errorResponse';
import type { Environment, ResolutionSource } from './expressions';
import { errorResponse, HttpError } from './httpErrors';
import type { SignalRInvocationContext } from './signalRTrigger';
import { defaultSignalRTriggerRegistry, dispatchKey, type ResolvedSignalRFunction, type SignalRTriggerRegistry } from './triggerRegistry';
import { invocationContextOf, readUpstreamBody, readUpstreamHeaders, type UpstreamCallBody, type UpstreamCallHeaders } from './upstreamRequest';
import { flushSignalROutputs, resolveSignalRInputs, type SignalRAdapterOptions } from './withSignalR';

export interface SignalRUpstreamOptions extends SignalRAdapterOptions {
  /** Where the trigger functions are registered; default the one `signalRApp.generic` fills. */
  registry?: SignalRTriggerRegistry;
}

const MAX_PUBLIC_MESSAGE_LENGTH = 1000;

export function signalRUpstreamHandler(options: SignalRUpstreamOptions = {}): HttpHandler {
  const registry = options.registry ?? defaultSignalRTriggerRegistry;
  const serviceFactory = options.serviceFactory ?? defaultServiceFactory;
  const readEnv = options.env ?? ((): Environment => process.env);
  let warnedUnsigned = false;

  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const env = readEnv();
    try {
      const call = readUpstreamHeaders(request);
      const settingsSource: ResolutionSource = { request, env, body: async () => undefined };
      const table = await registry.table(settingsSource);
      const keys = accessKeys(registry.connectionSettings(), env, serviceFactory);
      if (keys === undefined) {
        if (!warnedUnsigned) context.warn('X-ASRS-Signature is not checked: a connection string of the SignalR triggers has no AccessKey (identity-based); protect this endpoint with its function key');
        warnedUnsigned = true;
      } else if (!isValidUpstreamSignature(request.headers.get(UpstreamHeaders.signature) ?? undefined, call.connectionId, keys)) {
        throw new HttpError(401, 'InvalidSignature', `${UpstreamHeaders.signature} matches no AccessKey of ${registry.connectionSettings().join(', ')}: the upstream must be the SignalR Service whose connection string the app uses`, UpstreamHeaders.signature);
      }
      const resolved = table.get(dispatchKey(call.hub, call.category, call.event));
      if (resolved === undefined) throw notFound(call, table);
      const body = readUpstreamBody(call, Buffer.from(await request.arrayBuffer()));
      return await run(resolved, call, body, request, context, env, { ...options, serviceFactory }, keys ?? []);
    } catch (error) {
      return toErrorResponse(error, context);
    }
  };
}

/**
 * The AccessKeys of the triggers' connection strings, every endpoint's when a setting has several (any of those
 * instances may call the upstream); undefined when one has none (identity-based).
 */
function accessKeys(settings: readonly string[], env: Environment, serviceFactory: SignalRServiceFactory): string[] | undefined {
  const keys: string[] = [];
  for (const setting of settings) {
    for (const endpoint of serviceFactory(setting, env).endpoints) {
      const auth = endpoint.config.auth;
      if (auth.kind !== 'accessKey') return undefined;
      keys.push(auth.accessKey);
    }
  }
  return keys;
}

function notFound(call: UpstreamCallHeaders, table: ReadonlyMap<string, ResolvedSignalRFunction>): HttpError {
  const registered = [...table.values()].map(({ fn, hub }) => `${fn.name} (hub '${hub}', ${fn.spec.category} '${fn.spec.event}')`);
  return new HttpError(
    404,
    'NoSignalRFunction',
    `no SignalR trigger function for hub '${call.hub}', category '${call.category}', event '${call.event.slice(0, 128)}'; registered: ${registered.length === 0 ? 'none' : registered.join(', ')}`,
  );
}

async function run(
  resolved: ResolvedSignalRFunction,
  call: UpstreamCallHeaders,
  body: UpstreamCallBody,
  request: HttpRequest,
  upstreamContext: InvocationContext,
  env: Environment,
  options: SignalRUpstreamOptions & { serviceFactory: SignalRServiceFactory },
  secrets: readonly string[],
): Promise<HttpResponseInit> {
  const { fn } = resolved;
  const invocation = invocationContextOf(request, call, body);
  const invocationId = body.kind === 'invocation' ? body.message.invocationId : undefined;
  const parameterProblem = parameterCountProblem(fn.name, fn.spec.parameterNames, invocation.Arguments);
  if (parameterProblem !== undefined) {
    upstreamContext.warn(parameterProblem);
    if (invocationId !== undefined) return completion(call.protocol, invocationId, { error: parameterProblem });
    return errorResponse(400, 'ArgumentCountMismatch', parameterProblem);
  }

  const bindingData = triggerMetadataOf(invocation, fn.spec.parameterNames);
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    logHandler: forwardLogs(upstreamContext),
    triggerMetadata: bindingData,
    options: { trigger: fn.options.trigger, extraInputs: fn.options.extraInputs ?? [], extraOutputs: fn.options.extraOutputs ?? [] },
  });
  const source: ResolutionSource = { request, env, body: async () => bindingData };
  try {
    await resolveSignalRInputs(fn.bindings.inputs, context, source, options.serviceFactory);
    const result: unknown = await fn.options.handler(invocation, context);
    await flushSignalROutputs(fn.bindings.outputs, context, source, options.serviceFactory, options.callOptions?.(env));
    // A void function's result is null, as the official extension answers (`WithResult(id, null)`).
    if (invocationId !== undefined) return completion(call.protocol, invocationId, { result: result === undefined ? null : result });
    return { status: 200 };
  } catch (error) {
    const message = publicMessage(error, secrets);
    upstreamContext.error(`SignalR function '${fn.name}' (${call.category} '${call.event}', connection ${call.connectionId}) failed: ${message}`);
    if (invocationId !== undefined) return completion(call.protocol, invocationId, { error: message });
    if (body.kind === 'disconnected') return { status: 200 };
    if (body.kind === 'connected') return errorResponse(403, 'FunctionFailed', `the connected function '${fn.name}' failed: ${message}`);
    return errorResponse(500, 'FunctionFailed', `function '${fn.name}' failed: ${message}`);
  }
}

function parameterCountProblem(name: string, parameterNames: readonly string[], args: unknown[] | null): string | undefined {
  if (parameterNames.length === 0 || args === null || args.length === parameterNames.length) return undefined;
  return `The function '${name}' accepts ${parameterNames.length} argument${parameterNames.length === 1 ? '' : 's'} (${parameterNames.join(', ')}) but the message provided ${args.length}.`;
}

/** `context.triggerMetadata`: the invocation's fields with camelCase names, and each parameter name bound to its argument. */
function triggerMetadataOf(invocation: SignalRInvocationContext, parameterNames: readonly string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(invocation)) metadata[key.charAt(0).toLowerCase() + key.slice(1)] = value;
  parameterNames.forEach((name, index) => {
    metadata[name.charAt(0).toLowerCase() + name.slice(1)] = invocation.Arguments?.[index];
  });
  return metadata;
}

function completion(protocol: HubProtocol, invocationId: string, outcome: { result: unknown } | { error: string }): HttpResponseInit {
  const message = 'error' in outcome
    ? { type: MessageType.Completion, invocationId, error: outcome.error }
    : { type: MessageType.Completion, invocationId, result: outcome.result, hasResult: true };
  return { status: 200, body: protocol.write(message), headers: { 'content-type': protocol.contentType } };
}

/** The error's message for the client: no stack, no token, no AccessKey, one bounded line. */
function publicMessage(error: unknown, secrets: readonly string[]): string {
  let message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'the function failed';
  message = scrubSecrets(message);
  for (const secret of secrets) if (secret !== '') message = message.split(secret).join('<redacted>');
  message = message.replace(/\s+/g, ' ').trim() || 'the function failed';
  return message.length > MAX_PUBLIC_MESSAGE_LENGTH ? `${message.slice(0, MAX_PUBLIC_MESSAGE_LENGTH)}...` : message;
}

/** The trigger function's `context.log` and friends go to the upstream function's log, as the host would show them. */
function forwardLogs(target: InvocationContext): (level: LogLevel, ...args: unknown[]) => void {
  return (level, ...args) => {
    switch (level) {
      case 'trace':
        return target.trace(...args);
      case 'debug':
        return target.debug(...args);
      case 'information':
        return target.info(...args);
      case 'warning':
        return target.warn(...args);
      case 'error':
      case 'critical':
        return target.error(...args);
      case 'none':
        return undefined;
    }
  };
}
