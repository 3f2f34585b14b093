/**
 * The service's data-plane REST API as one table: for every operation, the method and path our client calls
 * (API version 2022-06-01), the other forms the service answers for it (the v1 API's bare paths, GET beside
 * HEAD, the other order of group-membership paths), its parameters, and the statuses it answers.
 *
 * Both sides derive from this table: the REST client builds each call's path, query and retry class from its
 * row, and the emulator compiles its router from every row's forms (served under `/api` and `/api/v1`, as the
 * official emulator does) and answers with the row's statuses. Adding an operation is one row here, one client
 * method and one emulator handler.
 */
import { checkConnectionId, checkGroupName, checkUserId, normalizeHubName } from './names';
import { ServiceErrorCodes } from './serviceErrors';

export const REST_API_VERSION = '2022-06-01';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
export type RestPathParam = 'hub' | 'user' | 'group' | 'connectionId';
export type RestQueryOption = 'excluded' | 'reason' | 'ttl';

/** What a 2xx (or the row's negative status) means to the caller. */
export type RestResult = 'done' | 'exists' | 'healthy';

export interface RestOperation {
  /** The swagger's operationId (2022-06-01), used in logs and by the conformance tests. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Path under `/api/` with `{param}` placeholders and literal `:action` segments. */
  readonly path: string;
  /** Further paths the service answers with the same method for this operation. */
  readonly aliases?: readonly string[];
  /** Existence checks answer GET as well as HEAD (the .NET SDK sends GET). */
  readonly getToo?: boolean;
  readonly query: readonly RestQueryOption[];
  /** True when the request carries a message body `{target, arguments}`. */
  readonly body: boolean;
  /** Health needs no token. */
  readonly anonymous?: boolean;
  /** Success status of the 2022-06-01 API; `successV1` where the v1 API documents another one. */
  readonly success: number;
  readonly successV1?: number;
  /** The answer when the target does not exist: 404 with this `x-ms-error-code` (false for existence checks). */
  readonly notFound?: { readonly errorCode: string; readonly message: string };
  readonly result: RestResult;
  /** Repeating an idempotent call cannot change the outcome; sends and closes (POST) are not idempotent. */
  readonly idempotent: boolean;
}

const send = (operationId: string, path: string, alias: string, query: readonly RestQueryOption[] = []): RestOperation => ({
  operationId, method: 'POST', path, aliases: [alias], query, body: true, success: 202, result: 'done', idempotent: false,
});
const closeMany = (operationId: string, path: string): RestOperation => ({
  operationId, method: 'POST', path, query: ['excluded', 'reason'], body: false, success: 204, result: 'done', idempotent: false,
});
const exists = (operationId: string, path: string, notFound: RestOperation['notFound'], aliases: readonly string[] = []): RestOperation => ({
  operationId, method: 'HEAD', path, aliases, getToo: true, query: [], body: false, success: 200, notFound, result: 'exists', idempotent: true,
});

const CONNECTION_GROUP = 'hubs/{hub}/groups/{group}/connections/{connectionId}';
const CONNECTION_GROUP_V1 = 'hubs/{hub}/connections/{connectionId}/groups/{group}';
const USER_GROUP = 'hubs/{hub}/users/{user}/groups/{group}';
const USER_GROUP_V1 = 'hubs/{hub}/groups/{group}/users/{user}';

export const REST_OPERATIONS = {
  isServiceHealthy: {
    operationId: 'HealthApi_GetServiceStatus', method: 'HEAD', path: 'health', getToo: true, query: [], body: false,
    anonymous: true, success: 200, result: 'healthy', idempotent: true,
  },

  broadcast: send('SignalR_Broadcast', 'hubs/{hub}/:send', 'hubs/{hub}', ['excluded']),
  sendToUser: send('SignalR_SendToUser', 'hubs/{hub}/users/{user}/:send', 'hubs/{hub}/users/{user}'),
  sendToGroup: send('SignalR_GroupBroadcast', 'hubs/{hub}/groups/{group}/:send', 'hubs/{hub}/groups/{group}', ['excluded']),
  // The service answers 202 whether or not the connection exists.
  sendToConnection: send('SignalR_SendToConnection', 'hubs/{hub}/connections/{connectionId}/:send', 'hubs/{hub}/connections/{connectionId}'),

  connectionExists: exists('SignalR_CheckConnectionExistence', 'hubs/{hub}/connections/{connectionId}', {
    errorCode: ServiceErrorCodes.connectionNotExistedWarning, message: 'The connection does not exist.',
  }),
  userExists: exists('SignalR_CheckUserExistence', 'hubs/{hub}/users/{user}', {
    errorCode: ServiceErrorCodes.userNotExisted, message: 'The user has no connections.',
  }),
  groupExists: exists('SignalR_CheckGroupExistence', 'hubs/{hub}/groups/{group}', {
    errorCode: ServiceErrorCodes.groupNotExisted, message: 'The group has no connections.',
  }),
  userInGroup: exists('SignalR_CheckUserExistenceInGroup', USER_GROUP, {
    errorCode: ServiceErrorCodes.userNotInGroup, message: 'The user is not in the group.',
  }, [USER_GROUP_V1]),

  // Closing an unknown connection is not an error.
  closeConnection: {
    operationId: 'SignalR_CloseConnection', method: 'DELETE', path: 'hubs/{hub}/connections/{connectionId}', query: ['reason'],
    body: false, success: 200, successV1: 202, result: 'done', idempotent: true,
  },
  closeAllConnections: closeMany('SignalR_CloseConnections', 'hubs/{hub}/:closeConnections'),
  closeGroupConnections: closeMany('SignalR_CloseGroupConnections', 'hubs/{hub}/groups/{group}/:closeConnections'),
  closeUserConnections: closeMany('SignalR_CloseUserConnections', 'hubs/{hub}/users/{user}/:closeConnections'),

  addConnectionToGroup: {
    operationId: 'SignalR_AddConnectionToGroup', method: 'PUT', path: CONNECTION_GROUP, aliases: [CONNECTION_GROUP_V1], query: [],
    body: false, success: 200, result: 'done', idempotent: true,
    notFound: { errorCode: ServiceErrorCodes.connectionNotExistedError, message: 'The connection does not exist.' },
  },
  removeConnectionFromGroup: {
    operationId: 'SignalR_RemoveConnectionFromGroup', method: 'DELETE', path: CONNECTION_GROUP, aliases: [CONNECTION_GROUP_V1], query: [],
    body: false, success: 200, result: 'done', idempotent: true,
    notFound: { errorCode: ServiceErrorCodes.connectionNotExistedError, message: 'The connection does not exist or is not in the group.' },
  },
  // Answers 200 for an unknown connection as well.
  removeConnectionFromAllGroups: {
    operationId: 'SignalR_RemoveConnectionFromAllGroups', method: 'DELETE', path: 'hubs/{hub}/connections/{connectionId}/groups', query: [],
    body: false, success: 200, result: 'done', idempotent: true,
  },
  addUserToGroup: {
    operationId: 'SignalR_AddUserToGroup', method: 'PUT', path: USER_GROUP, aliases: [USER_GROUP_V1], query: ['ttl'],
    body: false, success: 200, successV1: 202, result: 'done', idempotent: true,
  },
  removeUserFromGroup: {
    operationId: 'SignalR_RemoveUserFromGroup', method: 'DELETE', path: USER_GROUP, aliases: [USER_GROUP_V1], query: [],
    body: false, success: 204, successV1: 202, result: 'done', idempotent: true,
  },
  removeUserFromAllGroups: {
    operationId: 'SignalR_RemoveUserFromAllGroups', method: 'DELETE', path: 'hubs/{hub}/users/{user}/groups', query: [],
    body: false, success: 204, successV1: 200, result: 'done', idempotent: true,
  },
} as const satisfies Record<string, RestOperation>;

export type RestOperationName = keyof typeof REST_OPERATIONS;

export const REST_OPERATION_NAMES = Object.keys(REST_OPERATIONS) as RestOperationName[];

/**
 * How each path parameter is checked, and the name the client's methods give it (`user` is the `userId`
 * argument). The client's errors name the argument, the emulator's the path parameter.
 */
export const REST_PATH_PARAMS: Readonly<Record<RestPathParam, { readonly argument: string; check(value: unknown, parameter: string): string }>> = {
  hub: { argument: 'hub', check: normalizeHubName },
  user: { argument: 'userId', check: checkUserId },
  group: { argument: 'group', check: checkGroupName },
  connectionId: { argument: 'connectionId', check: checkConnectionId },
};

/** One segment of a path template: literal text (`hubs`, `:send`) or a path parameter (`{user}`). */
export type PathSegment = { readonly literal: string } | { readonly param: RestPathParam };

/** A path template split into segments once, for the client (to fill it) and the emulator (to route by it). */
export interface PathTemplate {
  readonly template: string;
  readonly segments: readonly PathSegment[];
  /** The parameters it names, in order. */
  readonly params: readonly RestPathParam[];
}

const PARAMETER_SEGMENT = /^\{(\w+)\}$/;
const parsedTemplates = new Map<string, PathTemplate>();

function isPathParam(name: string): name is RestPathParam {
  return Object.hasOwn(REST_PATH_PARAMS, name);
}

/**
 * The template split at `/`, remembered: the client fills one on every call, and splitting it with a regular
 * expression per segment each time was a tenth of the client's own CPU per send. A `{name}` that is not a path
 * parameter is a table bug and throws.
 */
export function parsePathTemplate(template: string): PathTemplate {
  let parsed = parsedTemplates.get(template);
  if (parsed === undefined) {
    const segments = template.split('/').map((segment): PathSegment => {
      const match = PARAMETER_SEGMENT.exec(segment);
      if (!match) return { literal: segment };
      const name = match[1]!;
      if (!isPathParam(name)) throw new Error(`unknown path parameter {${name}} in ${template}`);
      return { param: name };
    });
    const params = segments.flatMap((segment) => ('param' in segment ? [segment.param] : []));
    // Frozen: one parsed template is shared by every call and by the emulator's router.
    parsed = Object.freeze({ template, segments: Object.freeze(segments), params: Object.freeze(params) });
    parsedTemplates.set(template, parsed);
  }
  return parsed;
}

/**
 * `/api/<template>` with each parameter replaced by its percent-encoded value (a `/` in a user id becomes
 * `%2F`). The values must already be checked.
 */
export function fillPath(template: PathTemplate, values: Readonly<Partial<Record<RestPathParam, string>>>): string {
  let path = '/api';
  for (const segment of template.segments) {
    if ('literal' in segment) {
      path += `/${segment.literal}`;
      continue;
    }
    const value = values[segment.param];
    if (value === undefined) throw new Error(`no value for {${segment.param}} in ${template.template}`);
    path += `/${encodeURIComponent(value)}`;
  }
  return path;
}

/** The error statuses an operation may answer besides 404: bad input, a bad token, a body over the limit. */
export function errorStatusesOf(operation: RestOperation): number[] {
  const statuses: number[] = [];
  if (!operation.anonymous) statuses.push(400, 401);
  if (operation.notFound && operation.result !== 'exists') statuses.push(404);
  if (operation.body) statuses.push(413);
  return statuses;
}
