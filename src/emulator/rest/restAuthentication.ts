/**
 * Checks the bearer token of a REST call (HS256 with the AccessKey, `exp`/`nbf`, and an `aud` naming this
 * request), and remembers tokens that passed.
 *
 * WHY remember: a client reuses one REST token for many calls (the SDK and our client cache them), and a full
 * check (HMAC plus every accepted audience form) was ~15% of the emulator's CPU per REST call. The outcome
 * depends only on (token, Host, URL), the AccessKey and the clock, so a hit before `exp` gives the same answer;
 * failures are never remembered.
 */
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import { RequestErrorCodes } from '../../contract';
import { acceptedRestAudiences, bearerToken, verifyServiceToken } from '../auth';
import type { Clock } from '../clock';
import { RestError } from './errors';

/**
 * Bound on remembered tokens (one per token and URL: a client calling for 10,000 users brings 10,000). Least
 * recently used first out, so a busy client keeps its hits instead of the whole memory being emptied at once.
 */
const MAX_VERIFIED_TOKENS = 10_000;

export type RestAuthenticator = (req: IncomingMessage, url: string) => void;

/** Returns a check that throws a 401 RestError, with the reason, for a request whose token does not pass. */
export function createRestAuthenticator(accessKey: string, clock: Clock): RestAuthenticator {
  const verified = new LRUCache<string, number>({ max: MAX_VERIFIED_TOKENS });
  return (req, url) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) throw unauthorized('An "Authorization: Bearer <token>" header is required.');
    const cacheKey = `${token}\u0000${req.headers.host ?? ''}\u0000${url}`;
    const now = clock.now();
    const expiresAtMs = verified.get(cacheKey);
    if (expiresAtMs !== undefined && expiresAtMs > now) return;
    const result = verifyServiceToken(token, accessKey, acceptedRestAudiences(url, req.headers.host), { nowSeconds: Math.floor(now / 1000) });
    if (!result.ok) {
      verified.delete(cacheKey);
      throw unauthorized(result.reason);
    }
    if (typeof result.claims.exp === 'number') {
      verified.set(cacheKey, result.claims.exp * 1000);
    }
  };
}

function unauthorized(reason: string): RestError {
  return new RestError(401, RequestErrorCodes.unauthorized, `Unauthorized: ${reason}`, 'Authorization', {
    'WWW-Authenticate': 'Bearer',
  });
}
