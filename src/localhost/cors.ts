/**
 * CORS as Core Tools configure it from local.settings.json (ASP.NET Core's CORS middleware with
 * `WithOrigins(origins).AllowAnyHeader().AllowAnyMethod()` and optionally `AllowCredentials()`):
 * - preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered by the host with 204, echoing the
 *   requested method and headers when the origin is allowed, and without CORS headers when it is not;
 * - actual requests get Access-Control-Allow-Origin ("*" for any origin without credentials, else the origin
 *   itself plus `Vary: Origin`) and Access-Control-Allow-Credentials when enabled.
 */
import type { IncomingHttpHeaders } from 'http';

export interface CorsPolicy {
  anyOrigin: boolean;
  /** Allowed origins, lower-cased for comparison. */
  origins: Set<string>;
  credentials: boolean;
}

/** Returns undefined when CORS is off (no origins configured), like Core Tools. */
export function createCorsPolicy(origins: string[], credentials: boolean): CorsPolicy | undefined {
  if (origins.length === 0) return undefined;
  return {
    anyOrigin: origins.includes('*'),
    origins: new Set(origins.filter((origin) => origin !== '*').map(normalizeOrigin)),
    credentials,
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && header(headers, 'origin') !== undefined && header(headers, 'access-control-request-method') !== undefined;
}

function isAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.anyOrigin || policy.origins.has(normalizeOrigin(origin));
}

function originHeaders(policy: CorsPolicy, origin: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (policy.anyOrigin && !policy.credentials) {
    result['access-control-allow-origin'] = '*';
  } else {
    result['access-control-allow-origin'] = origin;
    result['vary'] = 'Origin';
  }
  if (policy.credentials) result['access-control-allow-credentials'] = 'true';
  return result;
}

/** Headers for a preflight response (always answered with 204); empty when the origin is not allowed. */
export function preflightHeaders(policy: CorsPolicy, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = header(headers, 'origin');
  if (origin === undefined || !isAllowed(policy, origin)) return {};
  const result = originHeaders(policy, origin);
  result['access-control-allow-methods'] = header(headers, 'access-control-request-method') ?? '';
  const requestedHeaders = header(headers, 'access-control-request-headers');
  if (requestedHeaders) result['access-control-allow-headers'] = requestedHeaders;
  return result;
}

/** Headers to add to an actual (non-preflight) response; empty without an allowed Origin. */
export function actualRequestHeaders(policy: CorsPolicy | undefined, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = header(headers, 'origin');
  if (!policy || origin === undefined || !isAllowed(policy, origin)) return {};
  return originHeaders(policy, origin);
}
