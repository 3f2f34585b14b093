/**
 * Access-token checks for the emulator: the REST API (`/api/...`) and the client endpoint (`/client/?hub=x`)
 * both accept HS256 JWTs signed with the UTF-8 bytes of the AccessKey, exactly like Azure SignalR Service.
 *
 * Decisions (see the service's REST reference, its authentication section, and the official SDK's RestApiProvider):
 * - Only HS256. `alg: none` and every other algorithm are refused explicitly, before any signature work.
 * - `exp` is required; `exp` and `nbf` are checked with a small tolerance (CLOCK_TOLERANCE_SECONDS = 5):
 *   JWT times are whole seconds and the signer may be another process or a container with a slightly
 *   different clock; five seconds absorbs that without meaningfully extending a token's life.
 * - `aud` must match one accepted audience. The docs say "request URL without query string"; the official
 *   SDK signs `{scheme}://{host}/api/hubs/{hub}/...?application=..&api-version=..` (no port, only those two
 *   query parameters). The builders below list every form a well-behaved signer may produce, and the
 *   comparison is done on a canonical form (case of scheme/host, percent-encoding, trailing slash).
 * - Tokens over 4096 characters are refused (the service's limit).
 * - Reasons are meant for the 401 body: they never contain the token or the key.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const MAX_TOKEN_LENGTH = 4096;
export const CLOCK_TOLERANCE_SECONDS = 5;

export type TokenVerification =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: string };

export interface VerifyOptions {
  /** Seconds of clock skew tolerated for `exp` and `nbf`; default CLOCK_TOLERANCE_SECONDS. */
  clockToleranceSeconds?: number;
  /** Current time in seconds since the epoch; for tests. */
  nowSeconds?: number;
}

// One KeyObject per AccessKey: building it is the expensive part of an HMAC check with jsonwebtoken.
// Bounded so a process that sees many keys (tests) cannot grow it without limit.
const KEY_CACHE_LIMIT = 16;
const keyCache = new Map<string, KeyObject>();

function secretKeyFor(accessKey: string): KeyObject {
  let key = keyCache.get(accessKey);
  if (!key) {
    key = createSecretKey(Buffer.from(accessKey, 'utf8'));
    if (keyCache.size >= KEY_CACHE_LIMIT) {
      const oldest = keyCache.keys().next().value;
      if (oldest !== undefined) keyCache.delete(oldest);
    }
    keyCache.set(accessKey, key);
  }
  return key;
}

const BASE64URL_PART = /^[A-Za-z0-9_-]*$/;

function fail(reason: string): TokenVerification {
  return { ok: false, reason };
}

/** Reads the JOSE header without trusting it, to refuse foreign algorithms with a clear reason. */
function readHeaderAlgorithm(headerPart: string): { alg: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return { alg: (parsed as Record<string, unknown>).alg };
  } catch {
    return undefined;
  }
}

/** A printable, short rendering of a header value for error messages (never the token itself). */
function describeAlgorithm(alg: unknown): string {
  if (typeof alg === 'string' && /^[A-Za-z0-9+_-]{1,16}$/.test(alg)) return `"${alg}"`;
  return typeof alg === 'string' ? 'an unrecognised value' : 'a missing value';
}

/**
 * Verifies a service-issued JWT: HS256 signature with the AccessKey, `exp` (required), `nbf`, and `aud`
 * against `acceptedAudiences` (compare in canonical form, see canonicalAudience).
 */
export function verifyServiceToken(
  token: string,
  accessKey: string,
  acceptedAudiences: readonly string[],
  options: VerifyOptions = {},
): TokenVerification {
  if (typeof token !== 'string' || token.length === 0) return fail('access token is missing');
  if (token.length > MAX_TOKEN_LENGTH) {
    return fail(`access token is ${token.length} characters long; the limit is ${MAX_TOKEN_LENGTH}`);
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL_PART.test(p)) || parts[0] === '' || parts[1] === '') {
    return fail('access token is not a compact JWT (three base64url parts separated by dots)');
  }
  const header = readHeaderAlgorithm(parts[0]);
  if (!header) return fail('access token header is not valid base64url JSON');
  if (header.alg !== 'HS256') {
    return fail(`access token algorithm is ${describeAlgorithm(header.alg)}; only HS256 is accepted`);
  }
  if (parts[2] === '') return fail('access token has no signature');

  const tolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secretKeyFor(accessKey), {
      algorithms: ['HS256'],
      clockTolerance: tolerance,
      ...(options.nowSeconds !== undefined ? { clockTimestamp: options.nowSeconds } : {}),
    });
  } catch (error) {
    return fail(describeJwtError(error));
  }
  if (typeof payload === 'string' || payload === null || typeof payload !== 'object') {
    return fail('access token payload is not a JSON object');
  }
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== 'number') return fail('access token has no "exp" (expiry) claim; it is required');

  const audienceProblem = checkAudience(claims.aud, acceptedAudiences);
  if (audienceProblem) return fail(audienceProblem);
  return { ok: true, claims };
}

function describeJwtError(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'access token has expired';
  if (error instanceof jwt.NotBeforeError) return 'access token is not valid yet ("nbf" is in the future)';
  if (error instanceof jwt.JsonWebTokenError) {
    // jsonwebtoken's messages are fixed strings ("invalid signature", "jwt malformed", ...) without token data.
    if (error.message === 'invalid signature') return 'access token signature is invalid (signed with another key?)';
    return `access token is invalid: ${error.message}`;
  }
  return 'access token could not be verified';
}

function checkAudience(aud: unknown, accepted: readonly string[]): string | undefined {
  const candidates = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
  if (candidates.length === 0) return 'access token has no "aud" (audience) claim; it must be the request URL';
  const acceptedSet = new Set(accepted);
  for (const candidate of candidates) {
    if (acceptedSet.has(candidate)) return undefined;
    const canonical = canonicalAudience(candidate);
    if (canonical !== undefined && acceptedSet.has(canonical)) return undefined;
  }
  // Callers should pass canonical forms; tolerate ones that are not, on this (rare) slow path only.
  const acceptedCanonical = new Set(accepted.map((a) => canonicalAudience(a)).filter((a): a is string => a !== undefined));
  for (const candidate of candidates) {
    const canonical = canonicalAudience(candidate);
    if (canonical !== undefined && acceptedCanonical.has(canonical)) return undefined;
  }
  const shown = candidates[0].length > 200 ? `${candidates[0].slice(0, 200)}...` : candidates[0];
  return `access token audience "${shown}" does not match this request; expected e.g. "${accepted[0] ?? '(none)'}"`;
}

// ---------------------------------------------------------------------------------------------------------
// Audience forms

/** Percent-encodes like .NET's Uri.EscapeDataString (RFC 3986 unreserved characters stay as they are). */
function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Percent-encodes a path segment, leaving the characters RFC 3986 allows there (`:`, `@`, sub-delims) as they are. */
function escapePathSegment(value: string): string {
  return escapeDataString(value).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

function canonicalPath(rawPath: string): string {
  const segments = rawPath.split('/').map((s) => escapePathSegment(safeDecode(s)));
  let path = segments.join('/');
  if (!path.startsWith('/')) path = `/${path}`;
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

type QueryPairs = ReadonlyArray<readonly [string, string]>;

function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((pair): [string, string] => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return [safeDecode(key.replace(/\+/g, ' ')), safeDecode(value.replace(/\+/g, ' '))];
    });
}

function formatQuery(pairs: QueryPairs): string {
  return pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${escapeDataString(k)}=${escapeDataString(v)}`).join('&')}`;
}

/**
 * Canonical form of an audience URL: lower-case scheme and host, explicit port kept, path segments decoded
 * and re-encoded uniformly, trailing slashes dropped, query pairs re-encoded in their original order.
 * Returns undefined for something that is not an absolute http(s) URL.
 */
export function canonicalAudience(audience: string): string | undefined {
  const match = /^(https?):\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/i.exec(audience);
  if (!match) return undefined;
  const authority = parseAuthority(match[2]);
  if (!authority) return undefined;
  const port = authority.port === '' ? '' : `:${authority.port}`;
  return `${match[1].toLowerCase()}://${authority.host}${port}${canonicalPath(match[3])}${formatQuery(parseQuery(match[4] ?? ''))}`;
}

function parseAuthority(authority: string): { host: string; port: string } | undefined {
  const at = authority.lastIndexOf('@');
  const hostPort = (at >= 0 ? authority.slice(at + 1) : authority).toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m) return undefined;
  return { host: m[1], port: m[2] ?? '' };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Host names under which a signer may have addressed us: the Host header's name, and for a loopback
 * name all loopback aliases (a connection string says `localhost` while a client may dial 127.0.0.1).
 */
function hostVariants(hostHeader: string | undefined): { hosts: string[]; port: string } {
  const authority = hostHeader ? parseAuthority(hostHeader.trim()) : undefined;
  if (!authority) return { hosts: [...LOOPBACK_NAMES], port: '' };
  const hosts = LOOPBACK_NAMES.includes(authority.host) ? [...LOOPBACK_NAMES] : [authority.host];
  return { hosts, port: authority.port };
}

function originVariants(hostHeader: string | undefined): string[] {
  const { hosts, port } = hostVariants(hostHeader);
  const origins: string[] = [];
  for (const scheme of ['http', 'https']) {
    for (const host of hosts) {
      origins.push(`${scheme}://${host}`);
      if (port !== '') origins.push(`${scheme}://${host}:${port}`);
    }
  }
  return origins;
}

/** Query parameters the official SDK puts into a REST token's `aud` (others, like `excluded`, it leaves out). */
const AUDIENCE_QUERY_KEYS = new Set(['api-version', 'application']);

function uniqueQueries(candidates: QueryPairs[]): string[] {
  return [...new Set(candidates.map((pairs) => formatQuery(pairs)))];
}

/**
 * Every canonical audience a REST token for this request may carry.
 * @param requestUrl the request target as received (`req.url`: path plus query, percent-encoded)
 * @param hostHeader the Host header (`localhost:8888`, `127.0.0.1:53211`, ...)
 */
export function acceptedRestAudiences(requestUrl: string, hostHeader: string | undefined): string[] {
  const q = requestUrl.indexOf('?');
  const rawPath = q < 0 ? requestUrl : requestUrl.slice(0, q);
  const query = parseQuery(q < 0 ? '' : requestUrl.slice(q + 1));
  const path = canonicalPath(rawPath);

  const sdkKeys = query.filter(([k]) => AUDIENCE_QUERY_KEYS.has(k));
  const application = query.filter(([k]) => k === 'application');
  const apiVersion = query.filter(([k]) => k === 'api-version');
  const queries = uniqueQueries([
    [], // docs: the URL without query string
    query, // the full request URL
    sdkKeys, // SDK: application/api-version as they appear in the request
    [...application, ...apiVersion], // SDK's own order
    apiVersion,
  ]);

  const audiences: string[] = [];
  for (const origin of originVariants(hostHeader)) {
    for (const queryString of queries) audiences.push(`${origin}${path}${queryString}`);
  }
  return audiences;
}

/**
 * Every canonical audience a client token for `/client/?hub=<hub>` may carry (`aud` = the client URL, which
 * the SDK builds from the Endpoint without the port). `hub` is the hub query value as the client sent it;
 * the lower-cased form is accepted too because SDKs lower-case hub names.
 */
export function acceptedClientAudiences(hostHeader: string | undefined, hub: string): string[] {
  const hubs = [...new Set([hub, hub.toLowerCase()])];
  const audiences: string[] = [];
  for (const origin of originVariants(hostHeader)) {
    for (const h of hubs) audiences.push(`${origin}/client${formatQuery([['hub', h]])}`);
  }
  return audiences;
}

/** The bearer token from an Authorization header value, or undefined when absent or not a Bearer scheme. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!value) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}
