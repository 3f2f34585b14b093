/**
 * Reads one upstream call from the service: its protocol (from the content type), the `X-ASRS-*` headers, and
 * its body, refusing what the service would never send with the status the official trigger uses.
 */
import type { HttpRequest } from '@azure/functions';
import {
  fieldIgnoringCase,
  isPlainObject,
  parseClaimsHeader,
  parseClientQuery,
  UPSTREAM_CATEGORIES,
  UpstreamHeaders,
  UpstreamMessageType,
  type UpstreamCategory,
} from '../contract';
import type { HubProtocol } from '../protocol/hubProtocol';
import { jsonProtocol } from '../protocol/jsonProtocol';
import { messagePackProtocol } from '../protocol/messagePackProtocol';
import { MessageType, ProtocolError, type InvocationMessage } from '../protocol/messages';
import { badRequest, HttpError } from './httpErrors';
import type { SignalRInvocationContext } from './signalRTrigger';

export interface UpstreamCallHeaders {
  connectionId: string;
  hub: string;
  category: UpstreamCategory;
  event: string;
  protocol: HubProtocol;
}

/** The body of the call, read for its category and event. */
export type UpstreamCallBody =
  | { kind: 'connected' }
  | { kind: 'disconnected'; error: string | undefined }
  | { kind: 'invocation'; message: InvocationMessage };

const PROTOCOLS: ReadonlyMap<string, HubProtocol> = new Map([
  [jsonProtocol.contentType, jsonProtocol],
  [messagePackProtocol.contentType, messagePackProtocol],
]);

/** 415 for anything but JSON or MessagePack (parameters such as charset are fine). */
export function protocolOf(request: HttpRequest): HubProtocol {
  const contentType = request.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const protocol = PROTOCOLS.get(mediaType);
  if (protocol === undefined) {
    throw new HttpError(415, 'UnsupportedMediaType', `the upstream body must be ${[...PROTOCOLS.keys()].join(' or ')}, got ${contentType === '' ? 'no Content-Type' : `'${contentType.slice(0, 100)}'`}`, 'content-type');
  }
  return protocol;
}

function requiredHeader(request: HttpRequest, name: string): string {
  const value = request.headers.get(name);
  if (value === null || value.trim() === '') throw badRequest('MissingHeader', `header ${name} is required on a SignalR upstream call`, name);
  return value.trim();
}

/** 415, then 400 for a missing header or an unknown category. */
export function readUpstreamHeaders(request: HttpRequest): UpstreamCallHeaders {
  const protocol = protocolOf(request);
  const connectionId = requiredHeader(request, UpstreamHeaders.connectionId);
  const hub = requiredHeader(request, UpstreamHeaders.hub);
  const category = requiredHeader(request, UpstreamHeaders.category);
  const event = requiredHeader(request, UpstreamHeaders.event);
  if (!(UPSTREAM_CATEGORIES as readonly string[]).includes(category)) {
    throw badRequest('InvalidHeader', `header ${UpstreamHeaders.category} must be ${UPSTREAM_CATEGORIES.join(' or ')}, got '${category.slice(0, 64)}'`, UpstreamHeaders.category);
  }
  return { connectionId, hub, category: category as UpstreamCategory, event, protocol };
}

/** 400 when the body does not fit the category and event (a message whose target is not the event, say). */
export function readUpstreamBody(call: UpstreamCallHeaders, body: Buffer): UpstreamCallBody {
  if (call.category === 'connections') {
    if (call.event.toLowerCase() === 'connected') return { kind: 'connected' };
    return { kind: 'disconnected', error: disconnectError(body) };
  }
  let message;
  try {
    message = call.protocol.deserialize(body);
  } catch (error) {
    throw badRequest('InvalidBody', `the upstream body is not a ${call.protocol.name} hub message: ${error instanceof ProtocolError ? error.message : 'unreadable'}`);
  }
  if (message?.type !== MessageType.Invocation) throw badRequest('InvalidBody', 'a messages call must carry an Invocation message');
  if (message.target.toLowerCase() !== call.event.toLowerCase()) {
    throw badRequest('EventMismatch', `header ${UpstreamHeaders.event} '${call.event.slice(0, 64)}' does not match the message target '${message.target.slice(0, 64)}'`, UpstreamHeaders.event);
  }
  return { kind: 'invocation', message };
}

/** `{"type":11,"error":"..."}`, with `Type`/`Error` as the official emulator writes them. */
function disconnectError(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('InvalidBody', 'a disconnected call must carry JSON {"type":11,"error":...}');
  }
  if (!isPlainObject(parsed) || fieldIgnoringCase(parsed, 'type') !== UpstreamMessageType.disconnected) {
    throw badRequest('InvalidBody', 'a disconnected call must carry JSON {"type":11,"error":...}');
  }
  const error = fieldIgnoringCase(parsed, 'error');
  return typeof error === 'string' && error !== '' ? error : undefined;
}

/** The context the official trigger hands the function. */
export function invocationContextOf(request: HttpRequest, call: UpstreamCallHeaders, body: UpstreamCallBody): SignalRInvocationContext {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const userId = request.headers.get(UpstreamHeaders.userId);
  return {
    ConnectionId: call.connectionId,
    UserId: userId === null || userId === '' ? null : userId,
    Hub: call.hub,
    Category: call.category,
    Event: call.event,
    Arguments: body.kind === 'invocation' ? body.message.arguments : null,
    Error: body.kind === 'disconnected' ? (body.error ?? null) : null,
    Headers: headers,
    Query: parseClientQuery(request.headers.get(UpstreamHeaders.clientQuery) ?? undefined),
    Claims: parseClaimsHeader(request.headers.get(UpstreamHeaders.userClaims) ?? undefined),
  };
}
