import type { SignalRService } from '../client/service';
import type { CallOptions } from '../client/rest/restApi';
import { badRequest } from './httpErrors';
import type { SignalRConnectionInfo } from './connectionInfo';
import type { SignalROperation } from './outputItems';
import { sendAll } from './send';
import { fieldIgnoringCase, HUB_NAME_RULE, isPlainObject, isValidHubName, MAX_ARGUMENTS_DEPTH, nestsDeeperThan } from '../contract';

/**
 * The request contract of Dapr's `bindings.azure.signalr` output binding, served by this adapter:
 *
 * ```json
 * { "data": { "Target": "newMessage", "Arguments": [ ... ] },
 *   "metadata": { "group": "room1" | "user": "alice" | "hub": "chat" },
 *   "operation": "create" }
 * ```
 *
 * - `create`: send `data` (Target/Arguments, any key casing) to `metadata.group`, else `metadata.user`,
 *   else everyone (group wins over user, as in the Dapr component). Hub: `metadata.hub`, else the default.
 * - `clientNegotiate`: `{url, accessToken}` for `metadata.user` (no user: an anonymous token), same hub rule.
 * - anything else: 400 listing the supported operations. (The Dapr component itself falls back to `create`
 *   for unknown operations, for backward compatibility; an HTTP endpoint is better off refusing typos.)
 */
export const DAPR_OPERATIONS = ['create', 'clientNegotiate'] as const;
export type DaprOperation = (typeof DAPR_OPERATIONS)[number];

export interface DaprBindingRequest {
  data?: unknown;
  metadata?: Record<string, string>;
  operation: string;
}

export type DaprResult = { operation: 'create' } | { operation: 'clientNegotiate'; connectionInfo: SignalRConnectionInfo };

export interface DaprContext {
  service: SignalRService;
  /** Hub used when the request's metadata has none (the component's `hub` metadata). */
  defaultHub: string;
  tokenLifetimeSeconds?: number;
  callOptions?: CallOptions;
}

/** Validates a parsed JSON body against the contract; throws 400 HttpErrors naming the field. */
export function parseDaprRequest(body: unknown): DaprBindingRequest {
  if (!isPlainObject(body)) throw badRequest('InvalidBody', 'the request body must be a JSON object {data, metadata, operation}');
  const operation = body['operation'];
  const supported = DAPR_OPERATIONS.map((op) => `'${op}'`).join(', ');
  if (operation === undefined || operation === null) {
    throw badRequest('MissingField', `"operation" is required; supported operations: ${supported}`, 'operation');
  }
  if (typeof operation !== 'string' || !(DAPR_OPERATIONS as readonly string[]).includes(operation)) {
    const shown = typeof operation === 'string' ? `'${operation.slice(0, 100)}'` : `a ${typeof operation}`;
    throw badRequest('UnsupportedOperation', `operation ${shown} is not supported; supported operations: ${supported}`, 'operation');
  }
  const metadataRaw = body['metadata'] ?? {};
  if (!isPlainObject(metadataRaw)) throw badRequest('InvalidField', '"metadata" must be an object of string values', 'metadata');
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadataRaw)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw badRequest('InvalidField', `metadata "${key}" must be a string (Dapr metadata values are strings)`, `metadata.${key}`);
    metadata[key] = value;
  }
  const request: DaprBindingRequest = { operation, metadata };
  if (body['data'] !== undefined) request.data = body['data'];
  return request;
}

function metadataValue(request: DaprBindingRequest, key: string): string | undefined {
  const value = request.metadata?.[key];
  return value === undefined || value === '' ? undefined : value;
}

function hubFor(request: DaprBindingRequest, defaultHub: string): string {
  const hub = metadataValue(request, 'hub') ?? defaultHub;
  if (!isValidHubName(hub)) {
    throw badRequest('InvalidField', `metadata "hub" is not a valid hub name: ${HUB_NAME_RULE}`, 'metadata.hub');
  }
  return hub;
}

/** The message to send, from `data` (Target/Arguments as Dapr documents it; camelCase also accepted). */
function messageFrom(request: DaprBindingRequest): { target: string; arguments: unknown[] } {
  const data = request.data;
  if (!isPlainObject(data)) throw badRequest('InvalidField', '"data" must be an object {"Target": ..., "Arguments": [...]}', 'data');
  const target = fieldIgnoringCase(data, 'target');
  if (typeof target !== 'string' || target.trim() === '') {
    throw badRequest('InvalidField', '"data.Target" must be a non-empty string (the client method to invoke)', 'data.Target');
  }
  const args = fieldIgnoringCase(data, 'arguments') ?? [];
  if (!Array.isArray(args)) throw badRequest('InvalidField', '"data.Arguments" must be an array', 'data.Arguments');
  if (nestsDeeperThan(args, MAX_ARGUMENTS_DEPTH)) {
    throw badRequest('InvalidField', `"data.Arguments" must not nest deeper than ${MAX_ARGUMENTS_DEPTH} levels`, 'data.Arguments');
  }
  return { target, arguments: args as unknown[] };
}

/** Runs one Dapr binding request against the service. Send failures surface as SignalRSendError. */
export async function handleDaprRequest(body: unknown, context: DaprContext): Promise<DaprResult> {
  const request = parseDaprRequest(body);
  const hub = hubFor(request, context.defaultHub);
  const user = metadataValue(request, 'user');

  if (request.operation === 'clientNegotiate') {
    const options: { userId?: string; lifetimeSeconds?: number } = {};
    if (user !== undefined) options.userId = user;
    if (context.tokenLifetimeSeconds !== undefined) options.lifetimeSeconds = context.tokenLifetimeSeconds;
    const info = await context.service.clientConnectionInfo(hub, options);
    return { operation: 'clientNegotiate', connectionInfo: { url: info.url, accessToken: info.accessToken } };
  }

  const message = messageFrom(request);
  const group = metadataValue(request, 'group');
  let operation: SignalROperation;
  if (group !== undefined) operation = { kind: 'sendToGroup', groupName: group, ...message };
  else if (user !== undefined) operation = { kind: 'sendToUser', userId: user, ...message };
  else operation = { kind: 'broadcast', ...message };
  await sendAll(context.service.rest, hub, [{ operation }], context.callOptions);
  return { operation: 'create' };
}
