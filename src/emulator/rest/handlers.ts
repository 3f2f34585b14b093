/**
 * What each REST operation of the contract's table (src/contract/restOperations.ts) does with the hub state.
 * Statuses, paths and not-found codes come from the table; a handler only runs the operation and, for
 * operations whose row has `notFound`, says whether the target existed.
 */
import type { RestOperationName, RestPathParam } from '../../contract';
import type { HubMessage, ServiceCore } from '../serviceCore';

export type PathParams = Partial<Record<RestPathParam, string>>;

export interface OperationInput {
  core: ServiceCore;
  /** Normalised hub key: lower-cased, `${application}_` prefixed when given. */
  hub: string;
  params: PathParams;
  excluded: readonly string[];
  reason: string | undefined;
  ttlSeconds: number | undefined;
  message: HubMessage | undefined;
}

/** Returns false when the target does not exist (meaningful only for rows with `notFound`). */
export type OperationHandler = (input: OperationInput) => boolean;

// The path params are guaranteed by the route pattern; this keeps the handlers below free of `!`.
function param(input: OperationInput, name: RestPathParam): string {
  const value = input.params[name];
  if (value === undefined) throw new Error(`route did not capture ${name}`);
  return value;
}

function message(input: OperationInput): HubMessage {
  if (!input.message) throw new Error('operation needs a message body');
  return input.message;
}

export const REST_HANDLERS: Readonly<Record<RestOperationName, OperationHandler>> = {
  isServiceHealthy: () => true,

  broadcast: (i) => (i.core.broadcast(i.hub, message(i), i.excluded), true),
  sendToUser: (i) => (i.core.sendToUser(i.hub, param(i, 'user'), message(i)), true),
  sendToGroup: (i) => (i.core.sendToGroup(i.hub, param(i, 'group'), message(i), i.excluded), true),
  sendToConnection: (i) => (i.core.sendToConnection(i.hub, param(i, 'connectionId'), message(i)), true),

  connectionExists: (i) => i.core.connectionExists(i.hub, param(i, 'connectionId')),
  userExists: (i) => i.core.userExists(i.hub, param(i, 'user')),
  groupExists: (i) => i.core.groupExists(i.hub, param(i, 'group')),
  userInGroup: (i) => i.core.userInGroup(i.hub, param(i, 'user'), param(i, 'group')),

  closeConnection: (i) => (i.core.closeConnection(i.hub, param(i, 'connectionId'), i.reason), true),
  closeAllConnections: (i) => (i.core.closeAll(i.hub, i.excluded, i.reason), true),
  closeGroupConnections: (i) => (i.core.closeGroup(i.hub, param(i, 'group'), i.excluded, i.reason), true),
  closeUserConnections: (i) => (i.core.closeUser(i.hub, param(i, 'user'), i.excluded, i.reason), true),

  addConnectionToGroup: (i) => i.core.addConnectionToGroup(i.hub, param(i, 'group'), param(i, 'connectionId')),
  removeConnectionFromGroup: (i) => i.core.removeConnectionFromGroup(i.hub, param(i, 'group'), param(i, 'connectionId')),
  removeConnectionFromAllGroups: (i) => (i.core.removeConnectionFromAllGroups(i.hub, param(i, 'connectionId')), true),
  addUserToGroup: (i) => (i.core.addUserToGroup(i.hub, param(i, 'user'), param(i, 'group'), i.ttlSeconds), true),
  removeUserFromGroup: (i) => (i.core.removeUserFromGroup(i.hub, param(i, 'user'), param(i, 'group')), true),
  removeUserFromAllGroups: (i) => (i.core.removeUserFromAllGroups(i.hub, param(i, 'user')), true),
};
