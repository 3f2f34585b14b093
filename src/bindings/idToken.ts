import { jsonwebtoken } from '../client/auth/jsonwebtoken';

/** Claims as the client-token issuer takes them: repeated claim types become arrays. */
export type ClientClaims = Record<string, string | string[]>;

/**
 * Copies claims from an id token into the SignalR client token, as the official `signalRConnectionInfo`
 * binding does: the token is only DECODED, never validated (whoever fronts the function, e.g. App Service
 * authentication, is responsible for validating it). Only claim types listed in `claimTypeList` are copied;
 * without a list nothing is copied (the official binding copies claims only when a list is given).
 *
 * `rawToken` may carry the `Bearer ` prefix of an Authorization header. A value that is not a decodable JWT
 * yields no claims rather than an error, matching "an absent value resolves to no user".
 */
export function claimsFromIdToken(rawToken: string | undefined, claimTypeList: readonly string[] | undefined): ClientClaims | undefined {
  if (rawToken === undefined || claimTypeList === undefined || claimTypeList.length === 0) return undefined;
  const token = rawToken.replace(/^\s*bearer\s+/i, '').trim();
  if (token === '') return undefined;
  // Loaded outside the try: a failure to load it is an error, not a token without claims.
  const jwt = jsonwebtoken();
  let payload: unknown;
  try {
    payload = jwt.decode(token, { json: true });
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const wanted = new Set(claimTypeList);
  const claims: ClientClaims = {};
  for (const [type, value] of Object.entries(payload as Record<string, unknown>)) {
    if (!wanted.has(type)) continue;
    const converted = Array.isArray(value) ? value.map(claimValueToString) : claimValueToString(value);
    claims[type] = converted;
  }
  return Object.keys(claims).length === 0 ? undefined : claims;
}

/** .NET's JwtSecurityToken renders numbers and booleans as their text and objects as JSON. */
function claimValueToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}
