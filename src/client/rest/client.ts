/**
 * `SignalRRestApi` over axios for the Azure SignalR Service data-plane REST API, version 2022-06-01.
 *
 * - One keep-alive http and https agent per client, so REST calls reuse connections.
 * - Every path segment is percent-encoded (a `/` in a user id becomes `%2F`), hub names are validated
 *   and lower-cased, all calls carry `?api-version=2022-06-01`.
 * - Authorization: `Bearer <jwt>` whose `aud` is the request URL WITHOUT the query string, as the
 *   service docs specify. (The official .NET SDK instead signs the URL including `?api-version=...`
 *   and, for the Endpoint, without the port; the service and the emulator accept both.)
 * - Each call has one time budget (`timeoutMs`) covering all attempts and waits; retries follow
 *   src/client/rest/retryPolicy.ts (sends are repeated only when the service certainly did not process them).
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { CallOptions, SendPayload, SignalRRestApi } from './restApi';
import { SignalRNetworkError, SignalRServiceError, SignalRTimeoutError, scrubSecrets, type OperationContext } from './errors';
import { hubPath, normalizeHub, PayloadTooLargeError, RestArgumentError, segment, validateExcluded, validateGroup, validateId } from './paths';
import { HUB_NAME_PATTERN } from '../../contract/names';
import {
  backoffDelayMs,
  DEFAULT_RETRY_OPTIONS,
  isRetryable,
  parseRetryAfterMs,
  type AttemptFailure,
  type Idempotency,
  type RetryOptions,
} from './retryPolicy';

export const REST_API_VERSION = '2022-06-01';
export const DEFAULT_REST_TIMEOUT_MS = 10_000;

/** Supplies the `Authorization` header value for one request. */
export interface RestAuthorizer {
  /** `audience` is the request URL without query string. */
  authorization(audience: string, signal: AbortSignal): string | Promise<string>;
}

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
   * Idle kept-alive sockets are closed after this many ms. Default 4000: below Node's 5 s server
   * keep-alive timeout (the emulator), so we never write a send onto a socket the server is closing,
   * a race that would surface as ECONNRESET, which sends may not retry.
   */
  idleSocketTimeoutMs?: number;
  /** Upper bound of parallel sockets per origin. Default: unbounded (Node's default). */
  maxSockets?: number;
  /**
   * Secrets (the AccessKey) blanked out of anything the service answers before it goes into an error
   * message: a misconfigured endpoint or a hostile proxy could echo them back, and error messages are logged.
   */
  secrets?: readonly string[];
}

/** The service refuses bodies over 1 MB with 413; refusing locally saves the upload and names the field. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Method = 'HEAD' | 'GET' | 'PUT' | 'DELETE' | 'POST';

interface RestRequest {
  operation: string;
  hub?: string;
  method: Method;
  path: string;
  query?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  /** Statuses that complete the call. */
  expect: readonly number[];
  options?: CallOptions;
}

const MAX_SERVICE_MESSAGE_LENGTH = 500;

/** Checks a send payload and returns its JSON body; exported so a batch can be checked before any of it is sent. */
export function validatePayload(payload: SendPayload): string {
  if (payload === null || typeof payload !== 'object') throw new RestArgumentError('payload', 'must be an object {target, arguments}');
  if (typeof payload.target !== 'string' || payload.target === '') throw new RestArgumentError('payload.target', 'must be a non-empty string');
  if (!Array.isArray(payload.arguments)) throw new RestArgumentError('payload.arguments', 'must be an array');
  let body: string;
  try {
    body = JSON.stringify({ target: payload.target, arguments: payload.arguments });
  } catch (error) {
    throw new RestArgumentError('payload.arguments', `cannot be serialized to JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError('payload', `is ${bytes} bytes as JSON, over the service limit of ${MAX_BODY_BYTES} bytes`);
  }
  return body;
}

function validateReason(reason: string | undefined): void {
  if (reason !== undefined && typeof reason !== 'string') throw new RestArgumentError('reason', 'must be a string');
}

function headerString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** The `message` of a JSON error body `{code, message, ...}`, else the start of the text body. */
function serviceMessageOf(body: unknown, secrets: readonly string[]): string | undefined {
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  let message: string = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const candidate = record['message'] ?? record['Message'] ?? record['error'];
      if (typeof candidate === 'string') message = candidate;
    }
  } catch {
    // not JSON: keep the text
  }
  message = scrubSecrets(message.trim());
  for (const secret of secrets) if (secret !== '') message = message.split(secret).join('<redacted>');
  return message.length > MAX_SERVICE_MESSAGE_LENGTH ? `${message.slice(0, MAX_SERVICE_MESSAGE_LENGTH)}...` : message;
}

function networkCodeOf(error: unknown): string | undefined {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== error) return networkCodeOf(cause);
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class SignalRRestClient implements SignalRRestApi {
  readonly endpoint: string;
  private readonly authorizer: RestAuthorizer;
  private readonly timeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly application?: string;
  private readonly random: () => number;
  private readonly secrets: readonly string[];
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly http: AxiosInstance;

  constructor(options: SignalRRestClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.authorizer = options.authorizer;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RestArgumentError('timeoutMs', 'must be a positive number of milliseconds');
    this.retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
    if (!Number.isInteger(this.retry.maxAttempts) || this.retry.maxAttempts < 1) {
      throw new RestArgumentError('retry.maxAttempts', 'must be an integer >= 1');
    }
    if (options.application !== undefined) {
      if (!HUB_NAME_PATTERN.test(options.application)) throw new RestArgumentError('application', 'must match the hub name pattern');
      this.application = options.application.toLowerCase();
    }
    this.random = options.random ?? Math.random;
    this.secrets = options.secrets ?? [];
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      scheduling: 'lifo',
      // Applies to idle pooled sockets (the agent destroys them); in-flight requests are bounded by our own budget.
      timeout: options.idleSocketTimeoutMs ?? 4000,
      ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.http = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Statuses are interpreted here, not by axios, so retries and errors stay in one place.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // A redirect would re-send the bearer token elsewhere; the service does not redirect REST calls.
      maxRedirects: 0,
      // Corporate proxies still apply through HTTPS_PROXY; loopback endpoints never go through one.
      proxy: isLoopback(this.endpoint) ? false : undefined,
    });
  }

  /** Releases the pooled sockets. The client must not be used afterwards. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  // ---- health -------------------------------------------------------------------------------------

  async isServiceHealthy(options?: CallOptions): Promise<boolean> {
    const response = await this.execute('idempotent', {
      operation: 'isServiceHealthy', method: 'HEAD', path: '/api/health', expect: [200, 503], options,
    });
    return response.status === 200;
  }

  // ---- sends (non-idempotent) ---------------------------------------------------------------------

  async broadcast(hub: string, payload: SendPayload, excluded?: readonly string[], options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    const body = validatePayload(payload);
    await this.execute('nonIdempotent', {
      operation: 'broadcast', hub: h, method: 'POST', path: hubPath(h, { literal: ':send' }),
      query: validateExcluded(excluded).map((id) => ['excluded', id] as const), body, expect: [202, 200], options,
    });
  }

  async sendToUser(hub: string, userId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    const user = validateId(userId, 'userId');
    const body = validatePayload(payload);
    await this.execute('nonIdempotent', {
      operation: 'sendToUser', hub: h, method: 'POST', path: hubPath(h, 'users', user, { literal: ':send' }), body, expect: [202, 200], options,
    });
  }

  async sendToGroup(hub: string, group: string, payload: SendPayload, excluded?: readonly string[], options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    const g = validateGroup(group);
    const body = validatePayload(payload);
    await this.execute('nonIdempotent', {
      operation: 'sendToGroup', hub: h, method: 'POST', path: hubPath(h, 'groups', g, { literal: ':send' }),
      query: validateExcluded(excluded).map((id) => ['excluded', id] as const), body, expect: [202, 200], options,
    });
  }

  async sendToConnection(hub: string, connectionId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    const id = validateId(connectionId, 'connectionId');
    const body = validatePayload(payload);
    await this.execute('nonIdempotent', {
      operation: 'sendToConnection', hub: h, method: 'POST', path: hubPath(h, 'connections', id, { literal: ':send' }), body, expect: [202, 200], options,
    });
  }

  // ---- existence checks (HEAD: 200 true, 404 false) -----------------------------------------------

  connectionExists(hub: string, connectionId: string, options?: CallOptions): Promise<boolean> {
    const h = normalizeHub(hub);
    return this.exists('connectionExists', h, hubPath(h, 'connections', validateId(connectionId, 'connectionId')), options);
  }

  userExists(hub: string, userId: string, options?: CallOptions): Promise<boolean> {
    const h = normalizeHub(hub);
    return this.exists('userExists', h, hubPath(h, 'users', validateId(userId, 'userId')), options);
  }

  groupExists(hub: string, group: string, options?: CallOptions): Promise<boolean> {
    const h = normalizeHub(hub);
    return this.exists('groupExists', h, hubPath(h, 'groups', validateGroup(group)), options);
  }

  /** HEAD as in the swagger (the .NET SDK sends GET; the service answers both). */
  userInGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<boolean> {
    const h = normalizeHub(hub);
    return this.exists('userInGroup', h, hubPath(h, 'users', validateId(userId, 'userId'), 'groups', validateGroup(group)), options);
  }

  // ---- closing connections ------------------------------------------------------------------------

  async closeConnection(hub: string, connectionId: string, reason?: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    const id = validateId(connectionId, 'connectionId');
    validateReason(reason);
    await this.execute('idempotent', {
      operation: 'closeConnection', hub: h, method: 'DELETE', path: hubPath(h, 'connections', id),
      query: reason === undefined ? [] : [['reason', reason]], expect: [200, 202, 204], options,
    });
  }

  closeAllConnections(hub: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    return this.closeMany('closeAllConnections', h, hubPath(h, { literal: ':closeConnections' }), excluded, reason, options);
  }

  closeGroupConnections(hub: string, group: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    return this.closeMany('closeGroupConnections', h, hubPath(h, 'groups', validateGroup(group), { literal: ':closeConnections' }), excluded, reason, options);
  }

  closeUserConnections(hub: string, userId: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    return this.closeMany('closeUserConnections', h, hubPath(h, 'users', validateId(userId, 'userId'), { literal: ':closeConnections' }), excluded, reason, options);
  }

  // ---- group membership (PUT / DELETE, idempotent) ------------------------------------------------

  async addConnectionToGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    await this.execute('idempotent', {
      operation: 'addConnectionToGroup', hub: h, method: 'PUT',
      path: hubPath(h, 'groups', validateGroup(group), 'connections', validateId(connectionId, 'connectionId')), expect: [200, 204], options,
    });
  }

  /** A 404 (connection not in the group / not connected) counts as done: the wanted end state holds. */
  async removeConnectionFromGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    await this.execute('idempotent', {
      operation: 'removeConnectionFromGroup', hub: h, method: 'DELETE',
      path: hubPath(h, 'groups', validateGroup(group), 'connections', validateId(connectionId, 'connectionId')), expect: [200, 204, 404], options,
    });
  }

  async removeConnectionFromAllGroups(hub: string, connectionId: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    await this.execute('idempotent', {
      operation: 'removeConnectionFromAllGroups', hub: h, method: 'DELETE',
      path: hubPath(h, 'connections', validateId(connectionId, 'connectionId'), 'groups'), expect: [200, 204], options,
    });
  }

  async addUserToGroup(hub: string, userId: string, group: string, ttlSeconds?: number, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0)) {
      throw new RestArgumentError('ttlSeconds', 'must be a whole number of seconds >= 0');
    }
    await this.execute('idempotent', {
      operation: 'addUserToGroup', hub: h, method: 'PUT',
      path: hubPath(h, 'users', validateId(userId, 'userId'), 'groups', validateGroup(group)),
      query: ttlSeconds === undefined ? [] : [['ttl', String(ttlSeconds)]], expect: [200, 204], options,
    });
  }

  async removeUserFromGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    await this.execute('idempotent', {
      operation: 'removeUserFromGroup', hub: h, method: 'DELETE',
      path: hubPath(h, 'users', validateId(userId, 'userId'), 'groups', validateGroup(group)), expect: [200, 204], options,
    });
  }

  async removeUserFromAllGroups(hub: string, userId: string, options?: CallOptions): Promise<void> {
    const h = normalizeHub(hub);
    await this.execute('idempotent', {
      operation: 'removeUserFromAllGroups', hub: h, method: 'DELETE',
      path: hubPath(h, 'users', validateId(userId, 'userId'), 'groups'), expect: [200, 204], options,
    });
  }

  // ---- plumbing -----------------------------------------------------------------------------------

  private async exists(operation: string, hub: string, path: string, options: CallOptions | undefined): Promise<boolean> {
    const response = await this.execute('idempotent', { operation, hub, method: 'HEAD', path, expect: [200, 404], options });
    return response.status === 200;
  }

  private async closeMany(
    operation: string, hub: string, path: string, excluded: readonly string[] | undefined, reason: string | undefined, options: CallOptions | undefined,
  ): Promise<void> {
    validateReason(reason);
    const query: Array<readonly [string, string]> = validateExcluded(excluded).map((id) => ['excluded', id] as const);
    if (reason !== undefined) query.push(['reason', reason]);
    // Closing is a POST, so it is treated like a send: a close that already happened would reach the
    // clients a second time as a Close frame with a different timing; retry only when not processed.
    await this.execute('nonIdempotent', { operation, hub, method: 'POST', path, query, expect: [204, 200, 202], options });
  }

  private buildQuery(query: ReadonlyArray<readonly [string, string]> | undefined): string {
    const parts = [`api-version=${REST_API_VERSION}`];
    if (this.application !== undefined) parts.push(`application=${segment(this.application)}`);
    for (const [key, value] of query ?? []) parts.push(`${key}=${encodeURIComponent(value)}`);
    return parts.join('&');
  }

  private async execute(idempotency: Idempotency, request: RestRequest): Promise<AxiosResponse<string>> {
    const context: OperationContext = request.hub === undefined ? { operation: request.operation } : { operation: request.operation, hub: request.hub };
    const timeoutMs = request.options?.timeoutMs ?? this.timeoutMs;
    if (!(timeoutMs > 0)) throw new RestArgumentError('timeoutMs', 'must be a positive number of milliseconds');
    const userSignal = request.options?.signal;
    userSignal?.throwIfAborted();

    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const signal = userSignal === undefined ? timeoutSignal : AbortSignal.any([userSignal, timeoutSignal]);
    const deadline = Date.now() + timeoutMs;
    const audience = `${this.endpoint}${request.path}`;
    const url = `${audience}?${this.buildQuery(request.query)}`;

    const abortedError = (attempts: number): unknown =>
      userSignal?.aborted === true ? userSignal.reason : new SignalRTimeoutError(context, timeoutMs, attempts);

    for (let attempt = 1; ; attempt++) {
      let failure: AttemptFailure;
      let finalError: Error;
      try {
        const authorization = await this.authorizer.authorization(audience, signal);
        const headers: Record<string, string> = { Authorization: authorization };
        if (request.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
        const response = await this.http.request<string>({ method: request.method, url, headers, data: request.body, signal });
        if (request.expect.includes(response.status)) return response;
        const retryAfterMs = parseRetryAfterMs(headerString(response.headers['retry-after']));
        const errorCode = headerString(response.headers['x-ms-error-code']);
        const serviceMessage = serviceMessageOf(response.data, this.secrets);
        failure = retryAfterMs === undefined ? { kind: 'status', status: response.status } : { kind: 'status', status: response.status, retryAfterMs };
        finalError = new SignalRServiceError(context, response.status, {
          ...(errorCode === undefined ? {} : { errorCode }),
          ...(serviceMessage === undefined ? {} : { serviceMessage }),
          attempts: attempt,
        });
      } catch (error) {
        if (signal.aborted) throw abortedError(attempt);
        if (!isAxiosError(error)) throw error; // e.g. a failing authorizer: its own error is clearer
        const code = networkCodeOf(error);
        failure = code === undefined ? { kind: 'network' } : { kind: 'network', code };
        finalError = new SignalRNetworkError(context, { ...(code === undefined ? {} : { code }), message: error.message, attempts: attempt });
      }

      if (attempt >= this.retry.maxAttempts || !isRetryable(idempotency, failure)) throw finalError;
      const retryAfterMs = failure.kind === 'status' ? failure.retryAfterMs : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) throw finalError;
      const delayMs = retryAfterMs ?? backoffDelayMs(attempt, this.retry, this.random);
      // Bounded total time: never start a wait that ends after the deadline; report the real failure.
      if (Date.now() + delayMs >= deadline) throw finalError;
      try {
        await sleep(delayMs, signal);
      } catch {
        throw abortedError(attempt);
      }
    }
  }
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}
