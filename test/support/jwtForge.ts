/**
 * Hand-made JSON Web Tokens for tests, including the malformed and hostile ones a real signing library
 * refuses to produce (`alg: none`, wrong key, forged header). Built with node:crypto alone so the tests
 * never depend on the code they attack.
 */
import { createHmac } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

const b64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

/** Signs `claims` with HS256 and `key` (the UTF-8 bytes of an AccessKey string, as the service does). */
export function signHs256(claims: JwtClaims, key: string, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...header }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', Buffer.from(key, 'utf8')).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** An unsigned token (`alg: none`, empty signature), the classic signature-bypass attempt. */
export function unsignedToken(claims: JwtClaims, alg = 'none'): string {
  return `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims a client token for `hub` at `endpoint` carries (aud = the client URL, 1 h lifetime). */
export function clientClaims(endpoint: string, hub: string, userId?: string, extra: JwtClaims = {}): JwtClaims {
  const now = nowSeconds();
  const claims: JwtClaims = { aud: clientAudience(endpoint, hub), iat: now, nbf: now, exp: now + 3600, ...extra };
  if (userId !== undefined) claims['asrs.s.uid'] = userId;
  return claims;
}

export function clientAudience(endpoint: string, hub: string): string {
  return `${endpoint.replace(/\/+$/, '')}/client/?hub=${hub.toLowerCase()}`;
}

/** A REST-API token for `url` (aud = the request URL without query, as the docs describe). */
export function restClaims(url: string, extra: JwtClaims = {}): JwtClaims {
  const now = nowSeconds();
  const u = new URL(url);
  return { aud: `${u.origin}${u.pathname}`.replace(/\/+$/, ''), iat: now, nbf: now, exp: now + 3600, ...extra };
}
