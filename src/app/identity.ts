import type { HttpRequest } from '@azure/functions';
import { badRequest, forbidden } from '../bindings/httpErrors';

/**
 * Who is calling, and how sure we are.
 *
 * - `principal`: App Service / Functions authentication ("Easy Auth") put the signed-in user's id in
 *   `x-ms-client-principal-id`. With authentication enabled the platform strips that header from incoming
 *   requests and sets it itself, so it can be trusted. (Without platform authentication anyone can send it:
 *   do not deploy with SignalRAllowClientUserId=false and expect this header alone to protect you.)
 *   Static Web Apps' linked backends get only `x-ms-client-principal` (base64 JSON); its `userId` is used then.
 * - `client`: the caller states its own user id in header `x-user-id` or query parameter `userId`.
 *   Honoured only when app setting SignalRAllowClientUserId is `true` (local development, demos).
 * - `anonymous`: neither.
 */
export type Caller =
  | { kind: 'principal'; userId: string }
  | { kind: 'client'; userId: string }
  | { kind: 'anonymous' };

export const PRINCIPAL_ID_HEADER = 'x-ms-client-principal-id';
export const CLIENT_USER_ID_HEADER = 'x-user-id';
export const CLIENT_USER_ID_QUERY = 'userId';

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' ? undefined : value;
}

/** The platform-authenticated user id: `x-ms-client-principal-id`, else the Static Web Apps principal's userId. */
function principalUserId(request: HttpRequest): string | undefined {
  const fromHeader = nonEmpty(request.headers.get(PRINCIPAL_ID_HEADER));
  if (fromHeader !== undefined) return fromHeader;
  try {
    // request.user parses x-ms-client-principal; a malformed or partial header must not crash the function.
    const user = request.user;
    return user !== null && user.type === 'StaticWebApps' && typeof user.id === 'string' ? nonEmpty(user.id) : undefined;
  } catch {
    return undefined;
  }
}

/** The user id the client states about itself (header wins the naming, both must agree). */
function claimedUserId(request: HttpRequest): { userId: string; field: string } | undefined {
  const fromHeader = nonEmpty(request.headers.get(CLIENT_USER_ID_HEADER));
  const fromQuery = nonEmpty(request.query.get(CLIENT_USER_ID_QUERY));
  if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery) {
    throw badRequest('ConflictingUserId', `header '${CLIENT_USER_ID_HEADER}' and query parameter '${CLIENT_USER_ID_QUERY}' name different users`, CLIENT_USER_ID_QUERY);
  }
  if (fromHeader !== undefined) return { userId: fromHeader, field: CLIENT_USER_ID_HEADER };
  if (fromQuery !== undefined) return { userId: fromQuery, field: CLIENT_USER_ID_QUERY };
  return undefined;
}

/**
 * Works out the caller. Throws 403 when a client-stated user id contradicts the authenticated principal,
 * or when one is stated but SignalRAllowClientUserId is not `true`.
 */
export function resolveCaller(request: HttpRequest, allowClientUserId: boolean): Caller {
  const principal = principalUserId(request);
  const claimed = claimedUserId(request);
  if (principal !== undefined) {
    if (claimed !== undefined && claimed.userId !== principal) {
      throw forbidden('UserIdMismatch', `'${claimed.field}' must match the signed-in user`, claimed.field);
    }
    return { kind: 'principal', userId: principal };
  }
  if (claimed !== undefined) {
    if (!allowClientUserId) throw clientUserIdNotAllowed(claimed.field);
    return { kind: 'client', userId: claimed.userId };
  }
  return { kind: 'anonymous' };
}

export function clientUserIdNotAllowed(field: string): Error {
  return forbidden(
    'ClientUserIdNotAllowed',
    `a client-supplied user id ('${field}') is accepted only when app setting SignalRAllowClientUserId is 'true'; sign in instead`,
    field,
  );
}

/**
 * Checks that an operation on user `subject` (e.g. add that user to a group) is made by that user:
 * an identified caller may act only as itself (403 `ActingAsAnotherUser`), and an anonymous caller may
 * name a user only when client user ids are allowed (403 `ClientUserIdNotAllowed`).
 */
export function assertMayActAs(caller: Caller, subject: string, field: string, allowClientUserId: boolean): void {
  if (caller.kind === 'anonymous') {
    if (!allowClientUserId) throw clientUserIdNotAllowed(field);
    return;
  }
  if (caller.userId !== subject) {
    throw forbidden('ActingAsAnotherUser', `"${field}" must be the calling user's own id`, field);
  }
}
