/**
 * Entry point for everything that talks to Azure SignalR Service: the endpoints of a connection setting (one
 * for most apps, several with `Azure:SignalR:Endpoints:<name>` settings), REST calls to them, and the negotiate
 * answer (`{url, accessToken}`) for clients.
 *
 * With one endpoint the service is that endpoint: `rest` is its REST client, negotiate signs for it, nothing is
 * health-checked (nothing to fail over to, as with the official SDK), so single-endpoint apps behave and cost
 * exactly as before. With several, `rest` fans out to them (src/client/endpoints/fanOutRestApi.ts), negotiate
 * asks the router (src/client/endpoints/router.ts), and each endpoint is health-checked in the background
 * (src/client/endpoints/health.ts), every `SignalREndpointHealthIntervalSeconds`.
 *
 * `getSignalRService()` caches one service per (setting, its value, the endpoint settings), so signing keys,
 * keep-alive agents, token caches and health timers are built once per process; changed settings yield a fresh
 * service, and the one it replaces is retired (closed once its calls in flight are answered).
 */
import type { Clock } from '../contract';
import { systemClock } from '../contract';
import type { SignalRConnectionConfig } from './config/connectionString';
import { endpointEntries, forgetEndpointEntries, parseEndpointSettings, type EndpointEntry, type EndpointSetting } from './config/endpointSettings';
import { DEFAULT_HEALTH_INTERVAL_SECONDS, HEALTH_CHECK_TIMEOUT_MS, HEALTH_INTERVAL_SETTING, readHealthIntervalMs } from './config/healthInterval';
import { DEFAULT_CONNECTION_SETTING, readConnectionStringValue, type Environment } from './config/settings';
import { TokenError } from './auth/tokens';
import { SignalREndpointsError, type EndpointFailure } from './endpoints/errors';
import { FanOutRestApi, type FanOutMember } from './endpoints/fanOutRestApi';
import { EndpointHealth } from './endpoints/health';
import { completeRouter, defaultEndpointRouter, routedSubset, type EndpointRouter, type NegotiateContext, type RequestValues } from './endpoints/router';
import { createServiceEndpoint, type ClientConnectionInfo, type ClientConnectionOptions, type EndpointClientOptions, type OwnedEndpoint, type ServiceEndpoint } from './endpoints/serviceEndpoint';
import { SignalRBusyError } from './rest/errors';
import type { SignalRRestApi } from './rest/restApi';
import { ServiceRuleError } from '../contract';

export { clientUrl } from './endpoints/serviceEndpoint';
export type { ClientConnectionInfo, ClientConnectionOptions, ServiceEndpoint } from './endpoints/serviceEndpoint';

export interface NegotiateOptions extends ClientConnectionOptions {
  /** The HTTP request negotiate answers, for routers that choose by it (e.g. by a region header). */
  request?: { headers?: RequestValues; query?: RequestValues };
  /** The router for this negotiate; methods it leaves out route as by default. */
  router?: Partial<EndpointRouter>;
}

export interface SignalRService {
  /** The first endpoint's parsed connection string; with one endpoint, its only one. */
  readonly config: SignalRConnectionConfig;
  /** Every endpoint: the connection setting's own first (name `''`), then the named ones by name. */
  readonly endpoints: readonly ServiceEndpoint[];
  /** REST calls: the endpoint's client, or with several endpoints the fan-out over them. */
  readonly rest: SignalRRestApi;
  /** Negotiate answer on the endpoint the router picks (random online primary by default). */
  clientConnectionInfo(hub: string, options?: NegotiateOptions): Promise<ClientConnectionInfo>;
}

export interface CreateServiceOptions extends EndpointClientOptions {
  /** Time between health checks of each endpoint when there are several. Default 5000 ms. */
  healthIntervalMs?: number;
  /** Time source of the health checks (tests inject a fake one). */
  clock?: Clock;
  /** The service's router (default: random online primary for negotiate, every online endpoint for calls). */
  router?: Partial<EndpointRouter>;
  /** Where endpoint health changes are reported. Default `console.warn`. */
  log?: (line: string) => void;
}

/** A service plus what releases its sockets and timers, for its owner (the cache below, tests, shutdown). */
export interface ClosableSignalRService extends SignalRService {
  /** Stops its health checks and releases its sockets now, cutting calls in flight. */
  close(): void;
  /**
   * Stops its health checks now and releases each endpoint's sockets once that endpoint's calls in flight have
   * settled: for a service replaced after a setting change, whose callers may still wait for answers.
   */
  retire(): void;
}

/** Builds a service for already parsed settings (no caching): one config, or the endpoints of endpointSettings.ts. */
export function createSignalRService(settings: SignalRConnectionConfig | readonly EndpointSetting[], options: CreateServiceOptions = {}): ClosableSignalRService {
  const list: readonly EndpointSetting[] = isSettingList(settings) ? settings : [{ name: '', type: 'primary', setting: settings.settingName, config: settings }];
  if (list.length === 0) throw new RangeError('a SignalR service needs at least one endpoint');
  if (list.length === 1) {
    const owned = createServiceEndpoint(list[0]!, options);
    const { endpoint } = owned;
    return {
      config: endpoint.config,
      endpoints: Object.freeze([endpoint]),
      rest: endpoint.rest,
      clientConnectionInfo: (hub, request) => endpoint.clientConnectionInfo(hub, request),
      close: () => owned.close(),
      retire: () => owned.closeWhenIdle(),
    };
  }
  return createMultiEndpointService(list, options);
}

function isSettingList(settings: SignalRConnectionConfig | readonly EndpointSetting[]): settings is readonly EndpointSetting[] {
  return Array.isArray(settings);
}

function createMultiEndpointService(list: readonly EndpointSetting[], options: CreateServiceOptions): ClosableSignalRService {
  const intervalMs = options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_SECONDS * 1000;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => console.warn(line));
  const router = completeRouter(options.router, defaultEndpointRouter);
  const parts: Array<{ health: EndpointHealth; own: OwnedEndpoint }> = [];
  const members: FanOutMember[] = list.map((setting) => {
    // The check is only called once start() runs, after `own` exists. A check this app's own bound of calls in flight
    // refused says nothing about the instance: the state stays as it was.
    const check = (signal: AbortSignal): Promise<boolean> =>
      own.endpoint.rest.isServiceHealthy({ timeoutMs: HEALTH_CHECK_TIMEOUT_MS, signal }).catch((error: unknown) => {
        if (error instanceof SignalRBusyError) return health.online;
        throw error;
      });
    const health = new EndpointHealth({ check, intervalMs, clock });
    const own = createServiceEndpoint(setting, options, health);
    health.onChange((online, checks) => log(`SignalR endpoint ${own.endpoint.toString()} is ${online ? 'online again' : 'offline'}: health check ${checks} ${online ? 'succeeded' : 'failed'}`));
    health.start();
    parts.push({ health, own });
    return { endpoint: own.endpoint, recheck: () => health.checkSoon(), checkNow: () => health.checkNow() };
  });
  const endpoints = Object.freeze(members.map((member) => member.endpoint));

  return {
    config: endpoints[0]!.config,
    endpoints,
    rest: new FanOutRestApi(members, router),
    clientConnectionInfo: (hub, request) => negotiateAcross(endpoints, completeRouter(request?.router, router), hub, request),
    close: () => {
      for (const { health, own } of parts) {
        health.close();
        own.close();
      }
    },
    retire: () => {
      for (const { health, own } of parts) {
        health.close();
        own.closeWhenIdle();
      }
    },
  };
}

/** Online primaries, online secondaries, then the offline ones: the order in which negotiate falls back. */
function fallbackOrder(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  const rank = (e: ServiceEndpoint): number => (e.online ? 0 : 2) + (e.type === 'primary' ? 0 : 1);
  return [...endpoints].sort((a, b) => rank(a) - rank(b));
}

/**
 * The router's endpoint first; should its token fail (an Entra access key that cannot be fetched), the others in
 * fallback order, so "none is online" still tries them all. A token the request itself makes impossible (too
 * many claims, a bad hub) fails the same everywhere and is reported at once.
 */
async function negotiateAcross(endpoints: readonly ServiceEndpoint[], router: EndpointRouter, hub: string, request: NegotiateOptions | undefined): Promise<ClientConnectionInfo> {
  const context: NegotiateContext = {
    hub,
    ...(request?.userId === undefined ? {} : { userId: request.userId }),
    ...(request?.request?.headers === undefined ? {} : { headers: request.request.headers }),
    ...(request?.request?.query === undefined ? {} : { query: request.request.query }),
  };
  const chosen = router.getNegotiateEndpoint(context, endpoints);
  const [first] = routedSubset(chosen === undefined ? [] : [chosen], endpoints, 'negotiate') as [ServiceEndpoint];
  const failures: EndpointFailure[] = [];
  const attempt = async (endpoint: ServiceEndpoint): Promise<ClientConnectionInfo | undefined> => {
    try {
      return await endpoint.clientConnectionInfo(hub, request);
    } catch (error) {
      if (error instanceof TokenError || error instanceof ServiceRuleError) throw error;
      failures.push({ endpoint, error });
      return undefined;
    }
  };
  const info = await attempt(first);
  if (info !== undefined) return info;
  // The fallback order is only worked out once the router's choice has failed: negotiate rarely needs it.
  for (const endpoint of fallbackOrder(endpoints)) {
    if (endpoint === first) continue;
    const fallback = await attempt(endpoint);
    if (fallback !== undefined) return fallback;
  }
  throw new SignalREndpointsError('negotiate', hub, failures, []);
}

const cache = new Map<string, ClosableSignalRService>();
/** The cache key each connection setting was last resolved to: when it changes, the service it named is superseded. */
const currentKeyBySetting = new Map<string, string>();

/** What decides which service a setting gets: its value, the endpoint settings and, with several, the health interval. */
function cacheKey(settingName: string, env: Environment, entries: readonly EndpointEntry[]): string {
  if (entries.length === 0) return `${settingName}\u0000${readConnectionStringValue(settingName, env)}`;
  const named = entries.map((entry) => `${entry.key}=${entry.value}`).join('\u0000');
  return `${settingName}\u0000${env[settingName] ?? ''}\u0000${named}\u0000${env[HEALTH_INTERVAL_SETTING] ?? ''}`;
}

/**
 * The service for connection setting `settingName` (default `AzureSignalRConnectionString`) and the
 * `Azure:SignalR:Endpoints:<name>` settings. Throws `ConfigError` naming the setting when one is missing or invalid.
 *
 * When a setting's value changes, the next call builds a fresh service and retires the one it replaces: its
 * health checks stop at once and its kept-alive sockets close as soon as the calls it still has in flight have
 * been answered, so a rotated key or a moved endpoint leaves no sockets or timers behind, and no call is cut.
 */
export function getSignalRService(settingName: string = DEFAULT_CONNECTION_SETTING, env: Environment = process.env): SignalRService {
  const entries = endpointEntries(env);
  const key = cacheKey(settingName, env, entries);
  let service = cache.get(key);
  if (service === undefined) {
    const settings = parseEndpointSettings(settingName, env, entries);
    service = createSignalRService(settings, settings.length > 1 ? { healthIntervalMs: readHealthIntervalMs(env) } : {});
    cache.set(key, service);
  }
  const previousKey = currentKeyBySetting.get(settingName);
  if (previousKey !== key) {
    currentKeyBySetting.set(settingName, key);
    const superseded = previousKey === undefined ? undefined : cache.get(previousKey);
    if (superseded !== undefined) {
      cache.delete(previousKey!);
      superseded.retire();
    }
  }
  return service;
}

/** Closes and forgets every cached service, and reads the endpoint settings afresh next time (tests, shutdown). */
export function resetSignalRServiceCache(): void {
  for (const service of cache.values()) service.close();
  cache.clear();
  currentKeyBySetting.clear();
  forgetEndpointEntries();
}
