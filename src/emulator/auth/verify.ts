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
 *   query parameters). audiences.ts lists every form a well-behaved signer may produce, and the comparison
 *   is done on a canonical form (case of scheme/host, percent-encoding, trailing slash).
 * - Tokens over the service's length limit (src/contract) are refused.
 * - Reasons are meant for the 401 body: they never contain the token or the key.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { MAX_ACCESS_TOKEN_LENGTH } from '../../contract';
import { canonicalAudience } from './audiences';

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
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) {
    return fail(`access token is ${token.length} characters long; the limit is ${MAX_ACCESS_TOKEN_LENGTH}`);
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

/** The bearer token from an Authorization header value, or undefined when absent or not a Bearer scheme. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!value) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}
