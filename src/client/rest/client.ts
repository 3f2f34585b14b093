/**
 * `SignalRRestApi` over axios for the Azure SignalR Service data-plane REST API, version 2022-06-01.
 *
 * Every method is one row of the contract's REST operation table (src/contract/restOperations.ts): the row gives
 * the method, the path, the query options and the retry class, and the contract's validators check each
 * argument before anything is sent. Hub names are lower-cased, path segments percent-encoded, and every call
 * carries `?api-version=2022-06-01`.
 *
 * Authorization: `Bearer <jwt>` whose `aud` is the request URL WITHOUT the query string, as the service docs
 * specify. (The official .NET SDK signs the URL including `?api-version=...` and, for the Endpoint, without the
 * port; the service and the emulator accept both.)
 */
import {
  checkConnectionId,
  fillPath,
  normalizeHubName,
  parsePathTemplate,
  REST_API_VERSION,
  REST_OPERATIONS,
  REST_PATH_PARAMS,
  serializeRestMessage,
  ServiceRuleError,
  type RestOperationName,
  type RestPathParam,
} from '../../contract';
import { RequestExecutor, type RestAuthorizer } from './requestExecutor';
import type { RetryOptions } from './retryPolicy';
import type { CallOptions, CloseManyOptions, CloseOptions, ExcludingOptions, SendPayload, SignalRRestApi, UserGroupOptions } from './restApi';

export { REST_API_VERSION };
export type { RestAuthorizer };
export const DEFAULT_REST_TIMEOUT_MS = 10_000;

export interface SignalRRestClientOptions {
  /** Base URL for REST calls (the config's `serverEndpoint`), no trailing slash needed. */
  endpoint: string;
  authorizer: RestAuthorizer;
  /** Default time budget per call, all retries included. Default 10 000 ms. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Optional `application` query parameter (the service prefixes hubs with `{application}_`). */
  application?: string;
  /** Random source for backoff jitter (tests). */
  random?: () => number;
  /**
   * Idle kept-alive sockets are closed after this many ms. Default 4000: below Node's 5 s server keep-alive
   * timeout (the emulator), so we never write a send onto a socket the server is closing, a race that would
   * surface as ECONNRESET, which sends may not retry.
   */
  idleSocketTimeoutMs?: number;
  /** Upper bound of parallel sockets per origin. Default: unbounded (Node's default). */
  maxSockets?: number;
  /**
   * Requests out at once past the pooled sockets that have answered, so on new connections. Past this a request
   * waits for a socket that frees or answers: a busy server takes one new connection per turn of its event loop,
   * so a burst of new connections waits in line there for seconds (newConnectionGate.ts). Not applied while the
   * server closes its connections after each answer. Default 8.
   */
  maxOpeningSockets?: number;
  /** Calls in flight at once, retries included; one more is refused at once (SignalRBusyError). Default 256. */
  maxInFlight?: number;
  /**
   * Below `maxInFlight`, the bound follows what the service completes while its calls are slow (queued at the
   * service), down to this (inFlightLimit.ts). Default: `maxInFlight`, a fixed bound, so a program sending a batch
   * waits rather than being refused; the service the bindings use (getSignalRService) sets 16.
   */
  minInFlight?: number;
  /** Calls slower than this on average (and than 4x the fastest recent one) lower the in-flight bound. Default 500 ms. */
  slowCallMs?: number;
  /**
   * Secrets (the AccessKey) blanked out of anything the service answers before it goes into an error message: a
   * misconfigured endpoint or a hostile proxy could echo them back, and error messages are logged.
   */
  secrets?: readonly string[];
}

type PathValues = Partial<Record<RestPathParam, unknown>>;
type AnyOptions = CallOptions & { excluded?: readonly string[]; reason?: string; ttlSeconds?: number };

/** Removing a connection from a group it is not in (or that is gone) leaves the wanted end state: done. */
const NOT_FOUND_IS_DONE: ReadonlySet<RestOperationName> = new Set(['removeConnectionFromGroup']);

export class SignalRRestClient implements SignalRRestApi {
  readonly endpoint: string;
  private readonly application?: string;
  private readonly executor: RequestExecutor;

  constructor(options: SignalRRestClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    const timeoutMs = options.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new ServiceRuleError('timeoutMs', 'must be a positive number of milliseconds');
    if (options.application !== undefined) this.application = normalizeHubName(options.application, 'application');
    this.executor = new RequestExecutor({ ...options, endpoint: this.endpoint, timeoutMs });
  }

  /** Releases the pooled sockets. The client must not be used afterwards. */
  close(): void {
    this.executor.close();
  }

  /** Releases the pooled sockets once the calls in flight have settled (a client being replaced). */
  closeWhenIdle(): void {
    this.executor.closeWhenIdle();
  }

  isServiceHealthy(options?: CallOptions): Promise<boolean> {
    return this.call('isServiceHealthy', {}, options) as Promise<boolean>;
  }

  async broadcast(hub: string, payload: SendPayload, options?: ExcludingOptions): Promise<void> {
    await this.call('broadcast', { hub }, options, payload);
  }

  async sendToUser(hub: string, userId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    await this.call('sendToUser', { hub, user: userId }, options, payload);
  }

  async sendToGroup(hub: string, group: string, payload: SendPayload, options?: ExcludingOptions): Promise<void> {
    await this.call('sendToGroup', { hub, group }, options, payload);
  }

  async sendToConnection(hub: string, connectionId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    await this.call('sendToConnection', { hub, connectionId }, options, payload);
  }

  connectionExists(hub: string, connectionId: string, options?: CallOptions): Promise<boolean> {
    return this.call('connectionExists', { hub, connectionId }, options) as Promise<boolean>;
  }

  userExists(hub: string, userId: string, options?: CallOptions): Promise<boolean> {
    return this.call('userExists', { hub, user: userId }, options) as Promise<boolean>;
  }

  groupExists(hub: string, group: string, options?: CallOptions): Promise<boolean> {
    return this.call('groupExists', { hub, group }, options) as Promise<boolean>;
  }

  /** HEAD as in the swagger (the .NET SDK sends GET; the service answers both). */
  userInGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<boolean> {
    return this.call('userInGroup', { hub, user: userId, group }, options) as Promise<boolean>;
  }

  async closeConnection(hub: string, connectionId: string, options?: CloseOptions): Promise<void> {
    await this.call('closeConnection', { hub, connectionId }, options);
  }

  async closeAllConnections(hub: string, options?: CloseManyOptions): Promise<void> {
    await this.call('closeAllConnections', { hub }, options);
  }

  async closeGroupConnections(hub: string, group: string, options?: CloseManyOptions): Promise<void> {
    await this.call('closeGroupConnections', { hub, group }, options);
  }

  async closeUserConnections(hub: string, userId: string, options?: CloseManyOptions): Promise<void> {
    await this.call('closeUserConnections', { hub, user: userId }, options);
  }

  async addConnectionToGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    await this.call('addConnectionToGroup', { hub, group, connectionId }, options);
  }

  /** A 404 (connection not in the group / not connected) counts as done: the wanted end state holds. */
  async removeConnectionFromGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    await this.call('removeConnectionFromGroup', { hub, group, connectionId }, options);
  }

  async removeConnectionFromAllGroups(hub: string, connectionId: string, options?: CallOptions): Promise<void> {
    await this.call('removeConnectionFromAllGroups', { hub, connectionId }, options);
  }

  async addUserToGroup(hub: string, userId: string, group: string, options?: UserGroupOptions): Promise<void> {
    await this.call('addUserToGroup', { hub, user: userId, group }, options);
  }

  async removeUserFromGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<void> {
    await this.call('removeUserFromGroup', { hub, user: userId, group }, options);
  }

  async removeUserFromAllGroups(hub: string, userId: string, options?: CallOptions): Promise<void> {
    await this.call('removeUserFromAllGroups', { hub, user: userId }, options);
  }

  /**
   * One operation of the table: every argument checked first (nothing is sent when one is bad), then the request
   * with the row's method, path, query and retry class. Resolves true/false for existence and health checks.
   */
  private async call(name: RestOperationName, values: PathValues, options: AnyOptions = {}, payload?: SendPayload): Promise<boolean> {
    const operation = REST_OPERATIONS[name];
    const checked: Partial<Record<RestPathParam, string>> = {};
    const path = parsePathTemplate(operation.path);
    for (const param of path.params) {
      const rule = REST_PATH_PARAMS[param];
      checked[param] = rule.check(values[param], rule.argument);
    }
    const body = operation.body ? serializeRestMessage(payload as SendPayload) : undefined;
    const query = this.queryFor(operation.query, options);
    const negative = operation.result === 'exists' ? 404 : operation.result === 'healthy' ? 503 : NOT_FOUND_IS_DONE.has(name) ? 404 : undefined;
    const response = await this.executor.execute({
      context: checked.hub === undefined ? { operation: name } : { operation: name, hub: checked.hub },
      idempotency: operation.idempotent ? 'idempotent' : 'nonIdempotent',
      method: operation.method,
      path: fillPath(path, checked),
      query,
      ...(body === undefined ? {} : { body }),
      // Any 2xx means the service did it: the documented code differs between API versions and operations.
      accepts: (status) => (status >= 200 && status < 300) || status === negative,
      options,
    });
    return response.status !== negative;
  }

  private queryFor(allowed: readonly string[], options: AnyOptions): string {
    const parts = [`api-version=${REST_API_VERSION}`];
    if (this.application !== undefined) parts.push(`application=${encodeURIComponent(this.application)}`);
    if (allowed.includes('excluded') && options.excluded !== undefined) {
      if (!Array.isArray(options.excluded)) throw new ServiceRuleError('excluded', 'must be an array of connection ids');
      for (const id of options.excluded) parts.push(`excluded=${encodeURIComponent(checkConnectionId(id, 'excluded'))}`);
    }
    if (allowed.includes('reason') && options.reason !== undefined) {
      if (typeof options.reason !== 'string') throw new ServiceRuleError('reason', 'must be a string');
      parts.push(`reason=${encodeURIComponent(options.reason)}`);
    }
    if (allowed.includes('ttl') && options.ttlSeconds !== undefined) {
      if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds < 0) throw new ServiceRuleError('ttlSeconds', 'must be a whole number of seconds >= 0');
      parts.push(`ttl=${options.ttlSeconds}`);
    }
    return parts.join('&');
  }
}
