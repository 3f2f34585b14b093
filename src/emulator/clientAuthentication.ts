/**
 * Who a client request is: the hub it names and the user its access token names (HS256 with the AccessKey,
 * `aud` = the client URL), and whether the connection it asks for is one that user may use.
 */
import type { IncomingMessage } from 'node:http';
import { HUB_NAME_RULE, isValidHubName, userIdFromClaims } from '../contract';
import { acceptedClientAudiences, bearerToken, verifyServiceToken } from './auth';
import type { Clock } from './clock';
import type { Session } from './session';

export type Authenticated = { ok: true; hub: string; userId: string | undefined; claims: Record<string, unknown> } | { ok: false; status: number; error: string };

export function authenticateClient(req: IncomingMessage, url: URL, accessKey: string, clock: Clock): Authenticated {
  const hubParam = url.searchParams.get('hub');
  if (hubParam === null || hubParam === '') return { ok: false, status: 400, error: "The 'hub' query parameter is required." };
  if (!isValidHubName(hubParam)) {
    return { ok: false, status: 400, error: `The 'hub' query parameter is not a valid hub name: ${HUB_NAME_RULE}.` };
  }
  const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
  if (!token) return { ok: false, status: 401, error: 'Unauthorized: no access token (Authorization: Bearer header or access_token query).' };
  const verified = verifyServiceToken(token, accessKey, acceptedClientAudiences(req.headers.host, hubParam), { nowSeconds: Math.floor(clock.now() / 1000) });
  if (!verified.ok) return { ok: false, status: 401, error: `Unauthorized: ${verified.reason}.` };
  return { ok: true, hub: hubParam.toLowerCase(), userId: userIdFromClaims(verified.claims), claims: verified.claims };
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
