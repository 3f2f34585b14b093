/**
 * How often each SignalR Service endpoint is checked when there are several (app setting
 * `SignalREndpointHealthIntervalSeconds`). With a single endpoint there is nothing to fail over to, so it is never
 * checked, as with the official SDK.
 *
 * Default 5 s, where the official SDK waits 2 minutes: negotiate only signs a token, so nothing but the health
 * check tells it that an instance is gone. The official client's automatic reconnect tries again after 0, 2, 10
 * and 30 s; with 5 s between checks (each bounded by HEALTH_CHECK_TIMEOUT_MS), a dead instance is offline within
 * about 7 s, so a client that lost it gets a live one on its third try at the latest. The cost is one HEAD
 * /api/health per endpoint every 5 s per app instance, which the service answers without looking at any hub.
 */
import { ConfigError } from './connectionString';
import type { Environment } from './settings';

export const HEALTH_INTERVAL_SETTING = 'SignalREndpointHealthIntervalSeconds';
export const DEFAULT_HEALTH_INTERVAL_SECONDS = 5;
/** A check that takes longer counts as failed (the official SDK's HTTP timeout for it, too). */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;
const MIN_SECONDS = 0.1;
const MAX_SECONDS = 3600;

/** The interval in milliseconds; a ConfigError naming the setting when it is not a number of seconds in range. */
export function readHealthIntervalMs(env: Environment): number {
  const raw = env[HEALTH_INTERVAL_SETTING]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_HEALTH_INTERVAL_SECONDS * 1000;
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new ConfigError(HEALTH_INTERVAL_SETTING, `must be a number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}, got '${raw.slice(0, 40)}'`);
  }
  return Math.round(seconds * 1000);
}
