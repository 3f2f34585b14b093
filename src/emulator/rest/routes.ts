/**
 * The one routing table for both REST API versions. Every pattern is served under `/api` (2022-06-01,
 * `?api-version=`) and `/api/v1`, as the official emulator does: `:send` and bare POST forms, GET and HEAD
 * for existence checks, and both path orders for group membership.
 */
import type { OperationKey, PathParamName, PathParams } from './operations';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

interface RouteEntry {
  readonly pattern: string;
  readonly methods: Partial<Record<HttpMethod, OperationKey>>;
}

const EXISTS = (op: OperationKey) => ({ GET: op, HEAD: op });

const ROUTE_TABLE: readonly RouteEntry[] = [
  { pattern: 'health', methods: EXISTS('health') },
  { pattern: 'hubs/{hub}', methods: { POST: 'broadcast' } },
  { pattern: 'hubs/{hub}/:send', methods: { POST: 'broadcast' } },
  { pattern: 'hubs/{hub}/:closeConnections', methods: { POST: 'closeAll' } },

  { pattern: 'hubs/{hub}/users/{user}', methods: { POST: 'sendToUser', ...EXISTS('userExists') } },
  { pattern: 'hubs/{hub}/users/{user}/:send', methods: { POST: 'sendToUser' } },
  { pattern: 'hubs/{hub}/users/{user}/:closeConnections', methods: { POST: 'closeUser' } },
  { pattern: 'hubs/{hub}/users/{user}/groups', methods: { DELETE: 'removeUserFromAllGroups' } },

  { pattern: 'hubs/{hub}/connections/{connectionId}', methods: { POST: 'sendToConnection', DELETE: 'closeConnection', ...EXISTS('connectionExists') } },
  { pattern: 'hubs/{hub}/connections/{connectionId}/:send', methods: { POST: 'sendToConnection' } },
  { pattern: 'hubs/{hub}/connections/{connectionId}/groups', methods: { DELETE: 'removeConnectionFromAllGroups' } },

  { pattern: 'hubs/{hub}/groups/{group}', methods: { POST: 'sendToGroup', ...EXISTS('groupExists') } },
  { pattern: 'hubs/{hub}/groups/{group}/:send', methods: { POST: 'sendToGroup' } },
  { pattern: 'hubs/{hub}/groups/{group}/:closeConnections', methods: { POST: 'closeGroup' } },

  { pattern: 'hubs/{hub}/groups/{group}/connections/{connectionId}', methods: { PUT: 'addConnectionToGroup', DELETE: 'removeConnectionFromGroup' } },
  { pattern: 'hubs/{hub}/connections/{connectionId}/groups/{group}', methods: { PUT: 'addConnectionToGroup', DELETE: 'removeConnectionFromGroup' } },

  { pattern: 'hubs/{hub}/users/{user}/groups/{group}', methods: { PUT: 'addUserToGroup', DELETE: 'removeUserFromGroup', ...EXISTS('userInGroup') } },
  { pattern: 'hubs/{hub}/groups/{group}/users/{user}', methods: { PUT: 'addUserToGroup', DELETE: 'removeUserFromGroup', ...EXISTS('userInGroup') } },
];

type Segment = { literal: string } | { param: PathParamName };

interface CompiledRoute {
  readonly segments: readonly Segment[];
  readonly methods: Partial<Record<HttpMethod, OperationKey>>;
}

const PARAM_NAMES: readonly PathParamName[] = ['hub', 'user', 'group', 'connectionId'];

function compile(entry: RouteEntry): CompiledRoute {
  const segments = entry.pattern.split('/').map((s): Segment => {
    const m = /^\{(\w+)\}$/.exec(s);
    if (!m) return { literal: s };
    const name = PARAM_NAMES.find((p) => p === m[1]);
    if (!name) throw new Error(`unknown route parameter ${m[1]} in ${entry.pattern}`);
    return { param: name };
  });
  return { segments, methods: entry.methods };
}

const COMPILED: readonly CompiledRoute[] = ROUTE_TABLE.map(compile);

export type ApiVersionFamily = '2022-06-01' | 'v1';

export type RouteMatch =
  | { kind: 'operation'; operation: OperationKey; params: PathParams; family: ApiVersionFamily }
  | { kind: 'methodNotAllowed'; allowed: HttpMethod[] }
  | { kind: 'notFound' };

/**
 * Matches decoded path segments (after `/api`, or `/api/v1`) against the table. A literal segment always
 * beats a parameter, so `/hubs/h/:send` is a broadcast and never a lookup of a user named ":send".
 */
function findRoute(segments: readonly string[]): CompiledRoute | undefined {
  let best: { route: CompiledRoute; literals: number } | undefined;
  for (const route of COMPILED) {
    if (route.segments.length !== segments.length) continue;
    let literals = 0;
    const ok = route.segments.every((s, i) => {
      if ('literal' in s) {
        literals++;
        return s.literal === segments[i];
      }
      return true;
    });
    if (ok && (!best || literals > best.literals)) best = { route, literals };
  }
  return best?.route;
}

function isHttpMethod(method: string): method is HttpMethod {
  return method === 'GET' || method === 'HEAD' || method === 'POST' || method === 'PUT' || method === 'DELETE';
}

/**
 * @param segments the request path split on `/` and percent-decoded per segment, starting at `api`
 */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  if (segments[0] !== 'api') return { kind: 'notFound' };
  const family: ApiVersionFamily = segments[1] === 'v1' ? 'v1' : '2022-06-01';
  const rest = segments.slice(family === 'v1' ? 2 : 1);
  const route = findRoute(rest);
  if (!route) return { kind: 'notFound' };
  const operation = isHttpMethod(method) ? route.methods[method] : undefined;
  if (!operation) {
    return { kind: 'methodNotAllowed', allowed: Object.keys(route.methods).filter(isHttpMethod) };
  }
  const params: PathParams = {};
  route.segments.forEach((s, i) => {
    if ('param' in s) params[s.param] = rest[i];
  });
  return { kind: 'operation', operation, params, family };
}

/** Every (method, pattern) pair the table serves; for tests and documentation. */
export function listRoutes(): Array<{ method: HttpMethod; pattern: string; operation: OperationKey }> {
  return ROUTE_TABLE.flatMap((entry) =>
    Object.entries(entry.methods)
      .filter((e): e is [HttpMethod, OperationKey] => isHttpMethod(e[0]) && e[1] !== undefined)
      .map(([method, operation]) => ({ method, pattern: entry.pattern, operation })),
  );
}
