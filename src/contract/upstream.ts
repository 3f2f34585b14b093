/**
 * Serverless upstream: how the service calls the function app when clients connect, disconnect or invoke hub
 * methods, defined once for the emulator (which makes the calls) and the SignalR trigger (which receives them).
 *
 * A call is an HTTP POST carrying the `X-ASRS-*` headers below. Its body is the client's hub message without
 * framing, in the client's protocol (JSON or MessagePack); `connected` and `disconnected` are always JSON
 * (`{"type":10}`, `{"type":11,"error":"..."}`). For an invocation that has an id, a 2xx body is the framed
 * Completion message the service forwards to the client unchanged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const UpstreamHeaders = {
  connectionId: 'X-ASRS-Connection-Id',
  hub: 'X-ASRS-Hub',
  category: 'X-ASRS-Category',
  event: 'X-ASRS-Event',
  userId: 'X-ASRS-User-Id',
  userClaims: 'X-ASRS-User-Claims',
  clientQuery: 'X-ASRS-Client-Query',
  signature: 'X-ASRS-Signature',
} as const;

export type UpstreamCategory = 'connections' | 'messages';
export const UPSTREAM_CATEGORIES: readonly UpstreamCategory[] = ['connections', 'messages'];
/** The events of the `connections` category; a `messages` event is the invoked hub method's name. */
export const CONNECTION_EVENTS = ['connected', 'disconnected'] as const;
export type ConnectionEvent = (typeof CONNECTION_EVENTS)[number];

/** Body `type` of the connection events (hub messages use 1 to 9). */
export const UpstreamMessageType = { connected: 10, disconnected: 11 } as const;

export const UPSTREAM_JSON_CONTENT_TYPE = 'application/json';
export const UPSTREAM_MESSAGEPACK_CONTENT_TYPE = 'application/x-msgpack';

/** The largest upstream answer the service reads (the official emulator's bound too); larger ones fail the invocation. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 16 * 1024 * 1024;

/** How the service words a failed invocation; our emulator adds what happened after it. */
export const INVOCATION_FAILED = 'Invocation failed';

const SIGNATURE_PREFIX = 'sha256=';

/** `sha256=<hex HMAC-SHA256 of the connection id, keyed with the AccessKey's UTF-8 bytes>` for one key. */
export function upstreamSignature(connectionId: string, accessKey: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', Buffer.from(accessKey, 'utf8')).update(connectionId, 'utf8').digest('hex');
}

/** The `X-ASRS-Signature` value: one signature per key (primary, secondary...), comma-joined without spaces. */
export function upstreamSignatureHeader(connectionId: string, accessKeys: readonly string[]): string {
  return accessKeys.map((key) => upstreamSignature(connectionId, key)).join(',');
}

/**
 * True when any signature in the header matches any of the keys. Entries are trimmed and compared ignoring the
 * case of the hex digits, in constant time per comparison.
 */
export function isValidUpstreamSignature(header: string | undefined, connectionId: string, accessKeys: readonly string[]): boolean {
  if (header === undefined || header === '') return false;
  const offered = header.split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '');
  for (const key of accessKeys) {
    const expected = Buffer.from(upstreamSignature(connectionId, key), 'utf8');
    for (const entry of offered) {
      const candidate = Buffer.from(entry, 'utf8');
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return true;
    }
  }
  return false;
}

/**
 * `X-ASRS-User-Claims`: every claim of the client's token as `type: value`, comma-separated; a claim with
 * several values appears once per value. (The official trigger splits on `,` and `: `, so values holding them
 * cannot be read back exactly by it; ours reads the same format.)
 */
export function formatClaimsHeader(claims: Readonly<Record<string, unknown>>): string {
  const entries: string[] = [];
  for (const [type, raw] of Object.entries(claims)) {
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined || value === null) continue;
      entries.push(`${type}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return entries.join(', ');
}

/** Reads `X-ASRS-User-Claims` into `{type: value}`; for a repeated type the first value wins, as the official trigger does. */
export function parseClaimsHeader(header: string | undefined): Record<string, string> | null {
  if (header === undefined || header.trim() === '') return null;
  const claims: Record<string, string> = {};
  for (const entry of header.split(',')) {
    const separator = entry.indexOf(': ');
    if (separator < 0) continue;
    const type = entry.slice(0, separator).trim();
    const value = entry.slice(separator + 2).trim();
    if (type !== '' && !(type in claims)) claims[type] = value;
  }
  return claims;
}

/** Query parameters of the client's connect request that never leave the service: the tokens. */
export const PRIVATE_CLIENT_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['access_token', 'id']);

/** `X-ASRS-Client-Query`: the client's connect query with a leading `?`, tokens removed. Undefined when nothing is left. */
export function formatClientQuery(query: URLSearchParams): string | undefined {
  const kept = new URLSearchParams([...query].filter(([name]) => !PRIVATE_CLIENT_QUERY_PARAMETERS.has(name)));
  const text = kept.toString();
  return text === '' ? undefined : `?${text}`;
}

/** Reads `X-ASRS-Client-Query` (leading `?` optional); repeated names are joined with `,`. Null when absent. */
export function parseClientQuery(header: string | undefined): Record<string, string> | null {
  if (header === undefined || header.trim() === '') return null;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(header.trim().replace(/^\?/, ''))) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }
  return query;
}
