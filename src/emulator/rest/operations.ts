/**
 * What each REST operation does with the hub state, and which status it answers. One definition per
 * operation; routes.ts maps every path form (both API versions, `:send` and bare POST, both path orders)
 * onto these. Status codes follow the swagger files: `success` for /api (2022-06-01), `successV1` where
 * /api/v1 documents another code. Not-found codes follow the official emulator.
 */
import type { HubMessage, ServiceCore } from '../serviceCore';
import { ServiceErrorCodes } from './errors';

export type PathParamName = 'hub' | 'user' | 'group' | 'connectionId';
export type PathParams = Partial<Record<PathParamName, string>>;

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

export interface OperationDefinition {
  /** Operation ids of the 2022-06-01 swagger, used in logs and by the conformance test. */
  readonly name: string;
  readonly needsBody: boolean;
  readonly anonymous?: boolean;
  readonly success: number;
  readonly successV1?: number;
  /** When `run` returns false: 404 with this `x-ms-error-code`. */
  readonly notFound?: { code: string; message: string };
  /** Returns false when the target does not exist (only for operations with `notFound`). */
  run(input: OperationInput): boolean;
}

// The path params are guaranteed by the route pattern; this keeps the definitions below free of `!`.
function param(input: OperationInput, name: PathParamName): string {
  const value = input.params[name];
  if (value === undefined) throw new Error(`route did not capture ${name}`);
  return value;
}

function message(input: OperationInput): HubMessage {
  if (!input.message) throw new Error('operation needs a message body');
  return input.message;
}

function define<const N extends string>(op: OperationDefinition & { name: N }): OperationDefinition & { name: N } {
  return op;
}

export const operations = {
  health: define({ name: 'HealthApi_GetServiceStatus', needsBody: false, anonymous: true, success: 200, run: () => true }),

  broadcast: define({
    name: 'SignalR_Broadcast', needsBody: true, success: 202,
    run: (i) => (i.core.broadcast(i.hub, message(i), i.excluded), true),
  }),
  sendToUser: define({
    name: 'SignalR_SendToUser', needsBody: true, success: 202,
    run: (i) => (i.core.sendToUser(i.hub, param(i, 'user'), message(i)), true),
  }),
  // The service answers 202 whether or not the connection exists (swagger: 202 only; official emulator too).
  sendToConnection: define({
    name: 'SignalR_SendToConnection', needsBody: true, success: 202,
    run: (i) => (i.core.sendToConnection(i.hub, param(i, 'connectionId'), message(i)), true),
  }),
  sendToGroup: define({
    name: 'SignalR_GroupBroadcast', needsBody: true, success: 202,
    run: (i) => (i.core.sendToGroup(i.hub, param(i, 'group'), message(i), i.excluded), true),
  }),

  closeAll: define({
    name: 'SignalR_CloseConnections', needsBody: false, success: 204,
    run: (i) => (i.core.closeAll(i.hub, i.excluded, i.reason), true),
  }),
  closeGroup: define({
    name: 'SignalR_CloseGroupConnections', needsBody: false, success: 204,
    run: (i) => (i.core.closeGroup(i.hub, param(i, 'group'), i.excluded, i.reason), true),
  }),
  closeUser: define({
    name: 'SignalR_CloseUserConnections', needsBody: false, success: 204,
    run: (i) => (i.core.closeUser(i.hub, param(i, 'user'), i.excluded, i.reason), true),
  }),
  // Closing an unknown connection is not an error (swagger: 200 only; official emulator: 200).
  closeConnection: define({
    name: 'SignalR_CloseConnection', needsBody: false, success: 200, successV1: 202,
    run: (i) => (i.core.closeConnection(i.hub, param(i, 'connectionId'), i.reason), true),
  }),

  connectionExists: define({
    name: 'SignalR_CheckConnectionExistence', needsBody: false, success: 200,
    notFound: { code: ServiceErrorCodes.connectionNotExistedWarning, message: 'The connection does not exist.' },
    run: (i) => i.core.connectionExists(i.hub, param(i, 'connectionId')),
  }),
  groupExists: define({
    name: 'SignalR_CheckGroupExistence', needsBody: false, success: 200,
    notFound: { code: ServiceErrorCodes.groupNotExisted, message: 'The group has no connections.' },
    run: (i) => i.core.groupExists(i.hub, param(i, 'group')),
  }),
  userExists: define({
    name: 'SignalR_CheckUserExistence', needsBody: false, success: 200,
    notFound: { code: ServiceErrorCodes.userNotExisted, message: 'The user has no connections.' },
    run: (i) => i.core.userExists(i.hub, param(i, 'user')),
  }),

  addConnectionToGroup: define({
    name: 'SignalR_AddConnectionToGroup', needsBody: false, success: 200,
    notFound: { code: ServiceErrorCodes.connectionNotExistedError, message: 'The connection does not exist.' },
    run: (i) => i.core.addConnectionToGroup(i.hub, param(i, 'group'), param(i, 'connectionId')),
  }),
  removeConnectionFromGroup: define({
    name: 'SignalR_RemoveConnectionFromGroup', needsBody: false, success: 200,
    notFound: {
      code: ServiceErrorCodes.connectionNotExistedError,
      message: 'The connection does not exist or is not in the group.',
    },
    run: (i) => i.core.removeConnectionFromGroup(i.hub, param(i, 'group'), param(i, 'connectionId')),
  }),
  // Swagger documents 200 only; the official emulator answers 200 for an unknown connection as well.
  removeConnectionFromAllGroups: define({
    name: 'SignalR_RemoveConnectionFromAllGroups', needsBody: false, success: 200,
    run: (i) => (i.core.removeConnectionFromAllGroups(i.hub, param(i, 'connectionId')), true),
  }),

  userInGroup: define({
    name: 'SignalR_CheckUserExistenceInGroup', needsBody: false, success: 200,
    notFound: { code: ServiceErrorCodes.userNotInGroup, message: 'The user is not in the group.' },
    run: (i) => i.core.userInGroup(i.hub, param(i, 'user'), param(i, 'group')),
  }),
  addUserToGroup: define({
    name: 'SignalR_AddUserToGroup', needsBody: false, success: 200, successV1: 202,
    run: (i) => (i.core.addUserToGroup(i.hub, param(i, 'user'), param(i, 'group'), i.ttlSeconds), true),
  }),
  removeUserFromGroup: define({
    name: 'SignalR_RemoveUserFromGroup', needsBody: false, success: 204, successV1: 202,
    run: (i) => (i.core.removeUserFromGroup(i.hub, param(i, 'user'), param(i, 'group')), true),
  }),
  removeUserFromAllGroups: define({
    name: 'SignalR_RemoveUserFromAllGroups', needsBody: false, success: 204, successV1: 200,
    run: (i) => (i.core.removeUserFromAllGroups(i.hub, param(i, 'user')), true),
  }),
} as const;

export type OperationKey = keyof typeof operations;
