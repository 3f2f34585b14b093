/**
 * Turns the raw request target into validated inputs: decoded path segments, names checked against the
 * service's rules, and the query options (`application`, `excluded`, `reason`, `ttl`, `api-version`).
 */
import { checkHubName, REST_PATH_PARAMS, RequestErrorCodes, type RestPathParam } from '../../contract';
import { asRequestCheck, RestError } from './errors';
import type { PathParams } from './handlers';

/** Any dated version, with or without `-preview`. See isAcceptedApiVersion. */
const API_VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

function invalid(message: string, target: string): RestError {
  return new RestError(400, RequestErrorCodes.invalid, message, target);
}

/**
 * Splits the path on `/` first and percent-decodes each segment afterwards, so an encoded slash (`%2F`)
 * stays part of a name. One trailing slash is ignored, as ASP.NET routing does.
 */
export function splitPath(rawPath: string): string[] {
  let path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (path.endsWith('/')) path = path.slice(0, -1);
  return path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw invalid('The request path contains a malformed percent-encoded sequence.', 'path');
    }
  });
}

/** Checks every captured path parameter with the contract's rule for it; the 400 names the path parameter. */
export function validatePathParams(params: PathParams): void {
  for (const [name, value] of Object.entries(params) as Array<[RestPathParam, string]>) {
    asRequestCheck(() => REST_PATH_PARAMS[name].check(value, name));
  }
}

export interface QueryOptions {
  application: string | undefined;
  excluded: string[];
  reason: string | undefined;
  ttlSeconds: number | undefined;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw invalid(`The query parameter "${name}" must be given at most once.`, name);
  return values[0];
}

/** `ttl` in seconds: a non-negative 32-bit integer, as the service binds it (`int?`). */
function parseTtl(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 2147483647) {
    throw invalid('The query parameter "ttl" must be a non-negative whole number of seconds.', 'ttl');
  }
  return Number(raw);
}

/**
 * api-version: absent is accepted (v1-style callers and the official emulator send none); any dated
 * version is accepted because the emulator serves the superset of the published versions; anything
 * else is a 400, the way Azure data-plane APIs answer an unsupported value.
 */
function checkApiVersion(raw: string | undefined): void {
  if (raw === undefined) return;
  if (!API_VERSION_PATTERN.test(raw)) {
    throw invalid(`Unsupported api-version "${truncate(raw)}"; use 2022-06-01.`, 'api-version');
  }
}

export function parseQueryOptions(rawQuery: string, needsApiVersionCheck: boolean): QueryOptions {
  const query = new URLSearchParams(rawQuery);
  if (needsApiVersionCheck) checkApiVersion(single(query, 'api-version'));
  const application = single(query, 'application');
  if (application !== undefined && application !== '') asRequestCheck(() => checkHubName(application, 'application'));
  return {
    application: application === '' ? undefined : application,
    excluded: query.getAll('excluded').filter((id) => id !== ''),
    reason: single(query, 'reason'),
    ttlSeconds: parseTtl(single(query, 'ttl')),
  };
}

/** The hub key the core uses: lower-cased, `${application}_${hub}` when an application is given. */
export function hubKey(hub: string, application: string | undefined): string {
  return (application ? `${application}_${hub}` : hub).toLowerCase();
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
