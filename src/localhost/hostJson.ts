/**
 * The parts of host.json the local host honours: `extensions.http.routePrefix` (default "api", "" allowed),
 * `extensions.http.maxConcurrentRequests` / `maxOutstandingRequests` (the host's HTTP throttles; absent or -1:
 * unbounded), `extensions.http.dynamicThrottlesEnabled` (refuse with 429 while the host is too busy, see
 * busyMonitor.ts) and `logging.logLevel` (`default` and `Function.<name>` / `Function`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLogLevel, type LogLevel } from './logger';

export class HostJsonError extends Error {
  override name = 'HostJsonError';
}

export interface HostJsonSettings {
  routePrefix: string;
  /** HTTP function invocations run at once; more wait. Undefined: unbounded. */
  maxConcurrentRequests?: number;
  /** Requests held at once (running and waiting); more are refused with 429. Undefined: unbounded. */
  maxOutstandingRequests?: number;
  /** Refuse requests with 429 while the host is too busy (its event loop runs late). Default false, as in the host. */
  dynamicThrottlesEnabled: boolean;
  /** Lower-cased category ("default", "function", "function.<name>") to minimum level. */
  logLevels: Map<string, LogLevel>;
}

export const defaultRoutePrefix = 'api';

export function readHostJson(projectRoot: string): HostJsonSettings {
  const file = path.join(projectRoot, 'host.json');
  const settings: HostJsonSettings = { routePrefix: defaultRoutePrefix, dynamicThrottlesEnabled: false, logLevels: new Map() };
  if (!fs.existsSync(file)) return settings;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new HostJsonError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const routePrefix = dig(parsed, ['extensions', 'http', 'routePrefix']);
  if (routePrefix !== undefined) {
    if (typeof routePrefix !== 'string') throw new HostJsonError(`${file}: extensions.http.routePrefix must be a string.`);
    settings.routePrefix = routePrefix.trim().replace(/^\/+|\/+$/g, '');
  }
  for (const key of ['maxConcurrentRequests', 'maxOutstandingRequests'] as const) {
    const value = dig(parsed, ['extensions', 'http', key]);
    if (value === undefined || value === -1) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new HostJsonError(`${file}: extensions.http.${key} must be a positive whole number or -1 (unbounded), got ${JSON.stringify(value)}.`);
    }
    settings[key] = value;
  }
  const dynamic = dig(parsed, ['extensions', 'http', 'dynamicThrottlesEnabled']);
  if (dynamic !== undefined) {
    if (typeof dynamic !== 'boolean') throw new HostJsonError(`${file}: extensions.http.dynamicThrottlesEnabled must be true or false, got ${JSON.stringify(dynamic)}.`);
    settings.dynamicThrottlesEnabled = dynamic;
  }
  const levels = dig(parsed, ['logging', 'logLevel']);
  if (typeof levels === 'object' && levels !== null) {
    for (const [category, level] of Object.entries(levels)) {
      const normalized = typeof level === 'string' ? level.toLowerCase() : '';
      if (isLogLevel(normalized)) settings.logLevels.set(category.toLowerCase(), normalized);
      else throw new HostJsonError(`${file}: logging.logLevel.${category} must be a log level (e.g. "Information"), got ${JSON.stringify(level)}.`);
    }
  }
  return settings;
}

function dig(value: unknown, keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    // host.json keys are case-insensitive in the host.
    const entry = Object.entries(current).find(([name]) => name.toLowerCase() === key.toLowerCase());
    current = entry?.[1];
  }
  return current;
}
