import type { HttpRequest } from '@azure/functions';
import type { SignalRGroupAction } from '../bindings/outputItems';
import type { FunctionAppSettings } from './appSettings';
import { optionalStringField, readJsonObjectBody } from './body';
import { badRequest } from '../bindings/httpErrors';
import { assertMayActAs, resolveCaller } from './identity';
import { GROUP_NAME_RULE, isValidGroupName } from '../contract';

/**
 * Reads an addToGroup / removeFromGroup request: `{groupName, userId?, connectionId?}` (any key casing).
 *
 * - `connectionId` given: that connection joins/leaves (it wins over userId, as in the binding). Knowing a
 *   connection id is what authorises acting on it; a `userId` given alongside must still be the caller's.
 * - else `userId`, defaulting to the caller's own id; an identified caller may only name itself (403),
 *   an anonymous caller only when SignalRAllowClientUserId is true (403 otherwise).
 * - `groupName` is required for `add`; for `remove`, leaving it out removes from every group (`removeAll`).
 */
export async function readGroupAction(request: HttpRequest, action: 'add' | 'remove', settings: FunctionAppSettings): Promise<SignalRGroupAction> {
  const caller = resolveCaller(request, settings.allowClientUserId);
  const body = await readJsonObjectBody(request);
  const groupName = optionalStringField(body, 'groupName');
  const userId = optionalStringField(body, 'userId');
  const connectionId = optionalStringField(body, 'connectionId');

  if (groupName !== undefined && !isValidGroupName(groupName)) {
    throw badRequest('InvalidField', `"groupName" is invalid: ${GROUP_NAME_RULE}`, 'groupName');
  }
  if (groupName === undefined && action === 'add') {
    throw badRequest('MissingField', '"groupName" is required', 'groupName');
  }
  if (userId !== undefined) assertMayActAs(caller, userId, 'userId', settings.allowClientUserId);

  const result: SignalRGroupAction = { action: groupName === undefined ? 'removeAll' : action };
  if (groupName !== undefined) result.groupName = groupName;
  if (connectionId !== undefined) {
    result.connectionId = connectionId;
    return result;
  }
  const subject = userId ?? (caller.kind === 'anonymous' ? undefined : caller.userId);
  if (subject === undefined) {
    throw badRequest('MissingField', '"userId" or "connectionId" is required (or sign in)', 'userId');
  }
  result.userId = subject;
  return result;
}
