/**
 * Runs one REST request against the service with the client's policy: keep-alive sockets, the bearer token
 * from the authorizer, one time budget covering every attempt and wait, and the retries of retryPolicy.ts.
 * It turns every failure into the typed errors of errors.ts, whose messages never carry a token or a key.
 *
 * Inside each attempt, one repair that is not a retry of the service's answer: a request that failed on a reused
 * kept-alive socket the server had closed (src/contract/staleConnections.ts) is sent once more, at once, on a
 * fresh connection, whatever its idempotency and even with `maxAttempts: 1`: the service never read it.
 */
import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse, CreateAxiosDefaults } from 'axios';
import { errorMessageOf, failedOnStaleConnection, MS_ERROR_CODE_HEADER, ServiceRuleError } from '../../contract';
import { socketHistoryOf, trackingSockets } from './keptAliveAgents';
import { CallBudget, type CallSignalSource } from './callBudget';
import { AdaptiveInFlightLimit } from './inFlightLimit';
import { ClientClosedError, DEFAULT_MAX_OPENING_SOCKETS, NewConnectionGate, type WaitSignal } from './newConnectionGate';
import { SignalRBusyError, SignalRNetworkError, SignalRServiceError, SignalRTimeoutError, scrubSecrets, type OperationContext } from './errors';
import { backoffDelayMs, DEFAULT_RETRY_OPTIONS, isRetryable, parseRetryAfterMs, type AttemptFailure, type Idempotency, type RetryOptions } from './retryPolicy';
import type { CallOptions } from './restApi';

/** Supplies the `Authorization` header value for one request. */
export interface RestAuthorizer {
  /** `audience` is the request URL without query string; `call.signal` ends with the call's time budget. */
  authorization(audience: string, call: CallSignalSource): string | Promise<string>;
}

export interface RequestExecutorOptions {
  /** Base URL, no trailing slash. */
  endpoint: string;
  authorizer: RestAuthorizer;
  timeoutMs: number;
  retry?: Partial<RetryOptions>;
  random?: () => number;
  idleSocketTimeoutMs?: number;
  maxSockets?: number;
  /** Requests out past the pooled sockets that have answered (so on new ones); others wait for a socket. Default 8. */
  maxOpeningSockets?: number;
  /** Calls in flight at once (retries and their waits included); one more is refused at once. Default 256. */
  maxInFlight?: number;
  /**
   * Below `maxInFlight`, the in-flight bound follows the service while its calls are slow, down to this
   * (inFlightLimit.ts). Default: `maxInFlight`, a fixed bound; the service the bindings use sets 16.
   */
  minInFlight?: number;
  /** Calls slower than this on average (and than 4x the fastest recent one) lower the in-flight bound. Default 500 ms. */
  slowCallMs?: number;
  secrets?: readonly string[];
}

const AXIOS_KEEP_ALIVE_PROBE_MS = 60_000;

/**
 * WHY 256 (the bound while the service keeps up; inFlightLimit.ts lowers it while calls are slow): enough for ~25,000 calls/s at 10 ms per call, beyond what one app instance sends; a service that falls
 * behind makes calls pile up, and past this bound the caller hears so at once instead of waiting on a queue.
 */
export const DEFAULT_MAX_IN_FLIGHT = 256;

export interface RestRequest {
  context: OperationContext;
  idempotency: Idempotency;
  method: 'HEAD' | 'GET' | 'PUT' | 'DELETE' | 'POST';
  /** Path from the endpoint on, already encoded, e.g. `/api/hubs/chat/:send`. */
  path: string;
  /** The query string without `?`. */
  query: string;
  body?: string;
  /** Whether a status completes the call; any other status is a SignalRServiceError. */
  accepts(status: number): boolean;
  options?: CallOptions;
}

const MAX_SERVICE_MESSAGE_LENGTH = 500;

type AxiosModule = typeof import('axios');
let axiosModule: AxiosModule | undefined;

/**
 * axios, loaded by the first REST call rather than with the app: with its dependencies it is about 40% of the
 * app's load time, and a cold start whose first request is a negotiate (which only signs a token) never needs it.
 */
function loadAxios(): AxiosModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  axiosModule ??= require('axios') as AxiosModule;
  return axiosModule;
}

function isAxiosError(error: unknown): error is import('axios').AxiosError {
  return axiosModule !== undefined && axiosModule.isAxiosError(error);
}

export class RequestExecutor {
  private readonly retry: RetryOptions;
  private readonly random: () => number;
  private readonly secrets: readonly string[];
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** No keep-alive: every request gets a new connection (the resend after a stale one). */
  private readonly freshHttpAgent = new http.Agent({ keepAlive: false });
  private readonly freshHttpsAgent = new https.Agent({ keepAlive: false });
  private readonly httpConfig: CreateAxiosDefaults;
  private httpClient: AxiosInstance | undefined;
  private readonly inFlight: AdaptiveInFlightLimit;
  /** Requests on the pooled agents wait here rather than each opening a socket a busy server takes turns to read. */
  private readonly newConnections: NewConnectionGate;
  /** Set by closeWhenIdle: the sockets are released once the calls in flight have settled. */
  private closingWhenIdle = false;

  constructor(private readonly options: RequestExecutorOptions) {
    const maxInFlight = wholeNumberSetting('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    if (options.minInFlight !== undefined) wholeNumberSetting('minInFlight', options.minInFlight);
    this.newConnections = new NewConnectionGate(wholeNumberSetting('maxOpeningSockets', options.maxOpeningSockets ?? DEFAULT_MAX_OPENING_SOCKETS));
    if (options.slowCallMs !== undefined && !(options.slowCallMs > 0)) throw new ServiceRuleError('slowCallMs', 'must be a positive number of milliseconds');
    this.inFlight = new AdaptiveInFlightLimit({
      max: maxInFlight,
      // Fixed unless asked: a program sending a batch through this client would rather wait than be refused.
      min: options.minInFlight ?? maxInFlight,
      ...(options.slowCallMs === undefined ? {} : { slowCallMs: options.slowCallMs }),
    });
    this.retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
    if (!Number.isInteger(this.retry.maxAttempts) || this.retry.maxAttempts < 1) {
      throw new ServiceRuleError('retry.maxAttempts', 'must be an integer >= 1');
    }
    this.random = options.random ?? Math.random;
    this.secrets = options.secrets ?? [];
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      // The TCP keep-alive probe delay axios sets on every request's socket (60 s). With Node's default (1 s) the
      // agent set it back each time a socket went idle, so every call paid two setsockopt calls (~45 us of a
      // ~1 ms sendMessage in the local host's profile); with the same value both are no-ops after the first.
      keepAliveMsecs: AXIOS_KEEP_ALIVE_PROBE_MS,
      scheduling: 'lifo',
      // Applies to idle pooled sockets (the agent destroys them); in-flight requests are bounded by our own budget.
      timeout: options.idleSocketTimeoutMs ?? 4000,
      ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
    };
    this.httpAgent = trackingSockets(new http.Agent(agentOptions), this.newConnections);
    this.httpsAgent = trackingSockets(new https.Agent(agentOptions), this.newConnections);
    this.httpConfig = {
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Statuses are interpreted here, not by axios, so retries and errors stay in one place.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // A redirect would re-send the bearer token elsewhere; the service does not redirect REST calls.
      maxRedirects: 0,
      // Corporate proxies still apply through HTTPS_PROXY; loopback endpoints never go through one.
      proxy: isLoopback(options.endpoint) ? false : undefined,
    };
  }

  private get http(): AxiosInstance {
    this.httpClient ??= loadAxios().default.create(this.httpConfig);
    return this.httpClient;
  }

  /** Releases the pooled sockets now, cutting any call in flight. */
  close(): void {
    // First: a call waiting for a socket must not go out on the destroyed agent (it would open a new socket).
    this.newConnections.close();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.freshHttpAgent.destroy();
    this.freshHttpsAgent.destroy();
  }

  /**
   * Releases the pooled sockets once no call is in flight (at once when none is): for a client that is being
   * replaced, whose callers may still be waiting for answers it must not cut.
   */
  closeWhenIdle(): void {
    this.closingWhenIdle = true;
    if (this.inFlight.state.inFlight === 0) this.close();
  }

  /** Runs the request within the in-flight bound; past it, refuses at once with SignalRBusyError. */
  async execute(request: RestRequest): Promise<AxiosResponse<string>> {
    const permit = this.inFlight.tryAcquire();
    if (permit === undefined) throw new SignalRBusyError(request.context, this.options.endpoint, this.inFlight.state);
    try {
      return await this.executeWithRetries(request);
    } finally {
      this.inFlight.release(permit);
      if (this.closingWhenIdle && this.inFlight.state.inFlight === 0) this.close();
    }
  }

  private async executeWithRetries(request: RestRequest): Promise<AxiosResponse<string>> {
    const { context } = request;
    const timeoutMs = request.options?.timeoutMs ?? this.options.timeoutMs;
    if (!(timeoutMs > 0)) throw new ServiceRuleError('timeoutMs', 'must be a positive number of milliseconds');
    const userSignal = request.options?.signal;
    userSignal?.throwIfAborted();

    // A timer cleared when the call ends (AbortSignal.timeout cost ~3x as much per call and left a timer running
    // for the whole budget), and a real AbortSignal only when one is needed (callBudget.ts).
    const budget = new CallBudget(timeoutMs, userSignal);
    const audience = `${this.options.endpoint}${request.path}`;
    const url = request.query === '' ? audience : `${audience}?${request.query}`;

    const abortedError = (attempts: number): unknown =>
      userSignal?.aborted === true ? userSignal.reason : new SignalRTimeoutError(context, timeoutMs, attempts);

    try {
      for (let attempt = 1; ; attempt++) {
        let failure: AttemptFailure;
        let finalError: Error;
        try {
          const authorization = await this.options.authorizer.authorization(audience, budget);
          const headers: Record<string, string> = { Authorization: authorization };
          if (request.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
          const response = await this.send({ method: request.method, url, headers, data: request.body, signal: budget.requestSignal });
          if (request.accepts(response.status)) return response;
          const retryAfterMs = parseRetryAfterMs(headerString(response.headers['retry-after']));
          const errorCode = headerString(response.headers[MS_ERROR_CODE_HEADER]);
          const serviceMessage = this.serviceMessageOf(response.data, authorization);
          failure = retryAfterMs === undefined ? { kind: 'status', status: response.status } : { kind: 'status', status: response.status, retryAfterMs };
          finalError = new SignalRServiceError(context, response.status, {
            ...(errorCode === undefined ? {} : { errorCode }),
            ...(serviceMessage === undefined ? {} : { serviceMessage }),
            attempts: attempt,
          });
        } catch (error) {
          if (budget.aborted) throw abortedError(attempt);
          if (error instanceof ClientClosedError) throw new SignalRNetworkError(context, { message: error.message, attempts: attempt });
          if (!isAxiosError(error)) throw error; // e.g. a failing authorizer: its own error is clearer
          const code = networkCodeOf(error);
          failure = code === undefined ? { kind: 'network' } : { kind: 'network', code };
          finalError = new SignalRNetworkError(context, { ...(code === undefined ? {} : { code }), message: error.message, attempts: attempt });
        }

        if (attempt >= this.retry.maxAttempts || !isRetryable(request.idempotency, failure)) throw finalError;
        const retryAfterMs = failure.kind === 'status' ? failure.retryAfterMs : undefined;
        if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) throw finalError;
        const delayMs = retryAfterMs ?? backoffDelayMs(attempt, this.retry, this.random);
        // Bounded total time: never start a wait that ends after the deadline; report the real failure.
        if (Date.now() + delayMs >= budget.deadline) throw finalError;
        try {
          await sleep(delayMs, budget.signal);
        } catch {
          throw abortedError(attempt);
        }
      }
    } finally {
      budget.dispose();
    }
  }

  /** One attempt: the request, and once more on a fresh connection when the reused one was stale. */
  private async send(config: AxiosRequestConfig<string> & { signal: WaitSignal }): Promise<AxiosResponse<string>> {
    try {
      return await this.sendPooled(config);
    } catch (error) {
      if (!isAxiosError(error) || config.signal?.aborted === true) throw error;
      const { reusedSocket, answerStarted } = socketHistoryOf(error.request);
      if (!failedOnStaleConnection({ errorCode: networkCodeOf(error), reusedSocket, answerStarted })) throw error;
      // Outside the new-connection gate: one connection per stale socket, for a request that already waited its turn.
      return this.http.request<string>({ ...config, httpAgent: this.freshHttpAgent, httpsAgent: this.freshHttpsAgent });
    }
  }

  /** A request on the pooled agents, once the new-connection gate lets it go (newConnectionGate.ts). */
  private async sendPooled(config: AxiosRequestConfig<string> & { signal: WaitSignal }): Promise<AxiosResponse<string>> {
    if (!this.newConnections.tryEnter()) await this.newConnections.wait(config.signal);
    try {
      return await this.http.request<string>(config);
    } finally {
      this.newConnections.leave();
    }
  }

  /**
   * The service's error message, scrubbed of tokens, of the credential this request carried (an Entra token need
   * not look like a JWT) and of our secrets (a proxy could echo them), and shortened.
   */
  private serviceMessageOf(body: unknown, authorization: string): string | undefined {
    const raw = typeof body === 'string' ? errorMessageOf(body) : undefined;
    if (raw === undefined) return undefined;
    let message = scrubSecrets(raw);
    const credential = authorization.replace(/^Bearer\s+/i, '');
    for (const secret of [...this.secrets, credential]) if (secret !== '') message = message.split(secret).join('<redacted>');
    return message.length > MAX_SERVICE_MESSAGE_LENGTH ? `${message.slice(0, MAX_SERVICE_MESSAGE_LENGTH)}...` : message;
  }
}

/** A count setting (calls, sockets): a whole number of at least 1, or a ServiceRuleError naming it. */
function wholeNumberSetting(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ServiceRuleError(name, 'must be a whole number >= 1');
  return value;
}

function headerString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
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

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}
