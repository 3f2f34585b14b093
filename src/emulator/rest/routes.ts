/**
 * The emulator's router, compiled from the contract's REST operation table: every row's path and aliases, with
 * the row's method (and GET beside HEAD for existence checks), served under `/api` (2022-06-01, `?api-version=`)
 * and `/api/v1`, as the official emulator does.
 */
import { parsePathTemplate, REST_OPERATION_NAMES, REST_OPERATIONS, type HttpMethod, type PathSegment, type RestOperation, type RestOperationName } from '../../contract';
import type { PathParams } from './handlers';

interface CompiledRoute {
  readonly pattern: string;
  readonly segments: readonly PathSegment[];
  readonly methods: Partial<Record<HttpMethod, RestOperationName>>;
}

/** One route per distinct path form, with every method the table gives it; two operations on one (path, method) is a table bug. */
function compileTable(): CompiledRoute[] {
  const byPattern = new Map<string, Partial<Record<HttpMethod, RestOperationName>>>();
  for (const name of REST_OPERATION_NAMES) {
    const operation: RestOperation = REST_OPERATIONS[name];
    const methods: HttpMethod[] = operation.getToo === true ? ['GET', operation.method] : [operation.method];
    const paths = [operation.path, ...(operation.aliases ?? [])];
    for (const pattern of paths) {
      const entry = byPattern.get(pattern) ?? {};
      for (const method of methods) {
        const existing = entry[method];
        if (existing !== undefined) throw new Error(`REST table: ${method} ${pattern} is claimed by ${existing} and ${name}`);
        entry[method] = name;
      }
      byPattern.set(pattern, entry);
    }
  }
  return [...byPattern].map(([pattern, methods]) => ({ pattern, segments: parsePathTemplate(pattern).segments, methods }));
}

const COMPILED: readonly CompiledRoute[] = compileTable();

export type ApiVersionFamily = '2022-06-01' | 'v1';

export type RouteMatch =
  | { kind: 'operation'; operation: RestOperationName; params: PathParams; family: ApiVersionFamily }
  | { kind: 'methodNotAllowed'; allowed: HttpMethod[] }
  | { kind: 'notFound' };

/**
 * Matches decoded path segments (after `/api`, or `/api/v1`) against the table. A literal segment always beats a
 * parameter, so `/hubs/h/:send` is a broadcast and never a lookup of a user named ":send".
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

/** @param segments the request path split on `/` and percent-decoded per segment, starting at `api` */
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

/** Every (method, pattern) pair the router serves; for tests and documentation. */
export function listRoutes(): Array<{ method: HttpMethod; pattern: string; operation: RestOperationName }> {
  return COMPILED.flatMap((route) =>
    Object.entries(route.methods)
      .filter((e): e is [HttpMethod, RestOperationName] => isHttpMethod(e[0]) && e[1] !== undefined)
      .map(([method, operation]) => ({ method, pattern: route.pattern, operation })),
  );
}
