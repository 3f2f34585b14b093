/**
 * The SignalR Service data-plane REST API as its public reference (the service's REST API reference and
 * its OpenAPI description) states it, written out by hand for the conformance test: every operation of
 * API version 2022-06-01 (under /api, with `api-version=2022-06-01`) and of the older v1 (under /api/v1),
 * with the success statuses and the error statuses the reference lists for it (both also answer errors
 * in the generic error shape, which is not listed here).
 *
 * Kept in the tests on purpose, apart from the emulator's own route table: an independent statement of
 * the facts is what lets the conformance test catch a route or status the emulator gets wrong.
 */

export type RestApiVersion = '2022-06-01' | 'v1';

export type RestMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** What an operation does, named the same in both API versions. */
export type OperationKind =
  | 'health'
  | 'broadcast'
  | 'sendToUser'
  | 'sendToConnection'
  | 'sendToGroup'
  | 'closeAll'
  | 'closeGroup'
  | 'closeUser'
  | 'closeConnection'
  | 'connectionExists'
  | 'userExists'
  | 'groupExists'
  | 'userInGroup'
  | 'addConnectionToGroup'
  | 'removeConnectionFromGroup'
  | 'removeConnectionFromAllGroups'
  | 'addUserToGroup'
  | 'removeUserFromGroup'
  | 'removeUserFromAllGroups';

export interface RestOperation {
  api: RestApiVersion;
  kind: OperationKind;
  method: RestMethod;
  /** Path template; `{name}` marks a path parameter. */
  path: string;
  success: readonly number[];
  /** Error statuses the reference names for this operation. */
  errors: readonly number[];
}

function operation(api: RestApiVersion, kind: OperationKind, method: RestMethod, path: string, success: number[], errors: number[] = []): RestOperation {
  return { api, kind, method, path, success, errors };
}

const hub = '/api/hubs/{hub}';
const hubV1 = '/api/v1/hubs/{hub}';

/** 2022-06-01: sends answer 202, closes of many connections 204; only some existence checks list a 404. */
const API_2022_06_01: RestOperation[] = [
  operation('2022-06-01', 'health', 'HEAD', '/api/health', [200]),
  operation('2022-06-01', 'broadcast', 'POST', `${hub}/:send`, [202]),
  operation('2022-06-01', 'sendToUser', 'POST', `${hub}/users/{user}/:send`, [202]),
  operation('2022-06-01', 'sendToConnection', 'POST', `${hub}/connections/{connectionId}/:send`, [202]),
  operation('2022-06-01', 'sendToGroup', 'POST', `${hub}/groups/{group}/:send`, [202]),
  operation('2022-06-01', 'closeAll', 'POST', `${hub}/:closeConnections`, [204]),
  operation('2022-06-01', 'closeGroup', 'POST', `${hub}/groups/{group}/:closeConnections`, [204]),
  operation('2022-06-01', 'closeUser', 'POST', `${hub}/users/{user}/:closeConnections`, [204]),
  operation('2022-06-01', 'closeConnection', 'DELETE', `${hub}/connections/{connectionId}`, [200]),
  operation('2022-06-01', 'connectionExists', 'HEAD', `${hub}/connections/{connectionId}`, [200]),
  operation('2022-06-01', 'userExists', 'HEAD', `${hub}/users/{user}`, [200], [404]),
  operation('2022-06-01', 'groupExists', 'HEAD', `${hub}/groups/{group}`, [200], [404]),
  operation('2022-06-01', 'userInGroup', 'HEAD', `${hub}/users/{user}/groups/{group}`, [200], [404]),
  operation('2022-06-01', 'addConnectionToGroup', 'PUT', `${hub}/groups/{group}/connections/{connectionId}`, [200], [404]),
  operation('2022-06-01', 'removeConnectionFromGroup', 'DELETE', `${hub}/groups/{group}/connections/{connectionId}`, [200], [404]),
  operation('2022-06-01', 'removeConnectionFromAllGroups', 'DELETE', `${hub}/connections/{connectionId}/groups`, [200]),
  operation('2022-06-01', 'addUserToGroup', 'PUT', `${hub}/users/{user}/groups/{group}`, [200]),
  operation('2022-06-01', 'removeUserFromGroup', 'DELETE', `${hub}/users/{user}/groups/{group}`, [204]),
  operation('2022-06-01', 'removeUserFromAllGroups', 'DELETE', `${hub}/users/{user}/groups`, [204]),
];

/**
 * v1: sends are a bare POST on the target, existence checks come as GET and HEAD, every operation but
 * health lists 400, and the user of a send is `{id}`. No close of many connections, no removal of a
 * connection from all its groups.
 */
const API_V1: RestOperation[] = [
  operation('v1', 'health', 'HEAD', '/api/v1/health', [200]),
  operation('v1', 'broadcast', 'POST', hubV1, [202], [400]),
  operation('v1', 'sendToUser', 'POST', `${hubV1}/users/{id}`, [202], [400]),
  operation('v1', 'sendToConnection', 'POST', `${hubV1}/connections/{connectionId}`, [202], [400]),
  operation('v1', 'sendToGroup', 'POST', `${hubV1}/groups/{group}`, [202], [400]),
  operation('v1', 'closeConnection', 'DELETE', `${hubV1}/connections/{connectionId}`, [202], [400]),
  operation('v1', 'connectionExists', 'GET', `${hubV1}/connections/{connectionId}`, [200], [400, 404]),
  operation('v1', 'connectionExists', 'HEAD', `${hubV1}/connections/{connectionId}`, [200], [400, 404]),
  operation('v1', 'userExists', 'GET', `${hubV1}/users/{user}`, [200], [400, 404]),
  operation('v1', 'userExists', 'HEAD', `${hubV1}/users/{user}`, [200], [400, 404]),
  operation('v1', 'groupExists', 'GET', `${hubV1}/groups/{group}`, [200], [400, 404]),
  operation('v1', 'groupExists', 'HEAD', `${hubV1}/groups/{group}`, [200], [400, 404]),
  operation('v1', 'userInGroup', 'GET', `${hubV1}/groups/{group}/users/{user}`, [200], [400, 404]),
  operation('v1', 'userInGroup', 'HEAD', `${hubV1}/groups/{group}/users/{user}`, [200], [400, 404]),
  operation('v1', 'addConnectionToGroup', 'PUT', `${hubV1}/groups/{group}/connections/{connectionId}`, [200], [400, 404]),
  operation('v1', 'removeConnectionFromGroup', 'DELETE', `${hubV1}/groups/{group}/connections/{connectionId}`, [200], [400, 404]),
  operation('v1', 'addUserToGroup', 'PUT', `${hubV1}/groups/{group}/users/{user}`, [202], [400]),
  operation('v1', 'removeUserFromGroup', 'DELETE', `${hubV1}/groups/{group}/users/{user}`, [202], [400]),
  operation('v1', 'removeUserFromAllGroups', 'DELETE', `${hubV1}/users/{user}/groups`, [200, 202], [400]),
];

export const REST_OPERATIONS: readonly RestOperation[] = [...API_2022_06_01, ...API_V1];
