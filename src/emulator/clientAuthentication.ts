/**
 * Who a client request is: the hub it names and the user its access token names (HS256 with the AccessKey,
 * `aud` = the client URL), and whether the connection it asks for is one that user may use.
 */
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import { HUB_NAME_RULE, isValidHubName, userIdFromClaims } from '../contract';
import { acceptedClientAudiences, bearerToken, verifyServiceToken } from './auth';
import type { Clock } from './clock';
import type { Session } from './session';

export type Authenticated = { ok: true; hub: string; userId: string | undefined; claims: Record<string, unknown> } | { ok: false; status: number; error: string };

export type ClientAuthenticator = (req: IncomingMessage, url: URL) => Authenticated;

/**
 * Tokens that passed, remembered briefly. WHY: a client presents the same token twice within milliseconds (to
 * negotiate, then to open its transport), and a full check is most of the emulator's own CPU per connection.
 * Only the recent ones matter, so the bound is small: it must not cost memory per connection held.
 */
const RECENT_VERIFIED_TOKENS = 512;
/** Host names and hubs clients address: a handful in practice; bounded because both come from the request. */
const AUDIENCE_SETS = 256;

interface Verified {
  hub: string;
  userId: string | undefined;
  claims: Record<string, unknown>;
  expiresAtMs: number;
}

/** Returns the check of client requests (negotiate, transports) for one AccessKey. */
export function createClientAuthenticator(accessKey: string, clock: Clock): ClientAuthenticator {
  const recent = new LRUCache<string, Verified>({ max: RECENT_VERIFIED_TOKENS });
  const audiences = new LRUCache<string, string[]>({ max: AUDIENCE_SETS });
  const acceptedAudiences = (host: string | undefined, hub: string): string[] => {
    const key = `${host ?? ''}\u0000${hub}`;
    let accepted = audiences.get(key);
    if (accepted === undefined) {
      accepted = acceptedClientAudiences(host, hub);
      audiences.set(key, accepted);
    }
    return accepted;
  };
  return (req, url) => {
    const hubParam = url.searchParams.get('hub');
    if (hubParam === null || hubParam === '') return { ok: false, status: 400, error: "The 'hub' query parameter is required." };
    if (!isValidHubName(hubParam)) {
      return { ok: false, status: 400, error: `The 'hub' query parameter is not a valid hub name: ${HUB_NAME_RULE}.` };
    }
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
    if (!token) return { ok: false, status: 401, error: 'Unauthorized: no access token (Authorization: Bearer header or access_token query).' };
    // The outcome depends on the token, the Host and the hub (the audience), the key and the clock only.
    const cacheKey = `${token}\u0000${req.headers.host ?? ''}\u0000${hubParam}`;
    const now = clock.now();
    const hit = recent.get(cacheKey);
    if (hit !== undefined && hit.expiresAtMs > now) return { ok: true, hub: hit.hub, userId: hit.userId, claims: hit.claims };
    const verified = verifyServiceToken(token, accessKey, acceptedAudiences(req.headers.host, hubParam), { nowSeconds: Math.floor(now / 1000) });
    if (!verified.ok) {
      recent.delete(cacheKey);
      return { ok: false, status: 401, error: `Unauthorized: ${verified.reason}.` };
    }
    const result: Verified = { hub: hubParam.toLowerCase(), userId: userIdFromClaims(verified.claims), claims: verified.claims, expiresAtMs: Number(verified.claims.exp) * 1000 };
    recent.set(cacheKey, result);
    return { ok: true, hub: result.hub, userId: result.userId, claims: result.claims };
  };
}

/** Why a transport request may not use this session, or undefined when it may. */
export function sessionProblem(session: Session | undefined, auth: Authenticated & { ok: true }): { status: number; error: string } | undefined {
  // A closed long-polling connection stays known until its last poll has fetched the Close message.
  if (!session || session.connection.hub !== auth.hub) {
    return { status: 404, error: 'No Connection with that ID' };
  }
  // The token of every request must name the user the connection was negotiated for.
  if (session.connection.userId !== auth.userId) return { status: 403, error: 'Forbidden: the access token names another user.' };
  return undefined;
}
