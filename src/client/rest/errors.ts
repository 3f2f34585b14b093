/**
 * Errors the REST client rejects with. Messages name the operation and hub so logs are useful,
 * and never contain the Authorization header, a token or the access key: the underlying axios
 * error (whose config holds the headers) is deliberately NOT kept as `cause`.
 */
import type { InFlightState } from './inFlightLimit';

export interface OperationContext {
  /** Interface method name, e.g. `sendToUser`. */
  operation: string;
  /** Lower-cased hub, when the operation has one. */
  hub?: string;
}

function where(context: OperationContext): string {
  return context.hub === undefined ? context.operation : `${context.operation} on hub '${context.hub}'`;
}

/** Anything shaped like a JWT is replaced, in case a service or proxy echoes one back. */
export function scrubSecrets(text: string): string {
  return text.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<redacted-token>');
}

export abstract class SignalRRestError extends Error {
  readonly operation: string;
  readonly hub?: string;

  protected constructor(context: OperationContext, message: string) {
    super(message);
    this.operation = context.operation;
    if (context.hub !== undefined) this.hub = context.hub;
  }
}

/** The service answered with a status the operation does not expect. */
export class SignalRServiceError extends SignalRRestError {
  readonly status: number;
  /** `x-ms-error-code` header, e.g. `Warning.Connection.NotExisted`. */
  readonly errorCode?: string;
  /** `message` from the JSON error body (or the start of a non-JSON body). */
  readonly serviceMessage?: string;
  readonly attempts: number;

  constructor(context: OperationContext, status: number, details: { errorCode?: string; serviceMessage?: string; attempts?: number } = {}) {
    const code = details.errorCode === undefined ? '' : ` (${details.errorCode})`;
    const text = details.serviceMessage === undefined ? '' : `: ${details.serviceMessage}`;
    super(context, `SignalR Service ${where(context)} failed with HTTP ${status}${code}${text}`);
    this.name = 'SignalRServiceError';
    this.status = status;
    if (details.errorCode !== undefined) this.errorCode = details.errorCode;
    if (details.serviceMessage !== undefined) this.serviceMessage = details.serviceMessage;
    this.attempts = details.attempts ?? 1;
  }
}

/** The call did not complete within its time budget (all attempts and waits included). */
export class SignalRTimeoutError extends SignalRRestError {
  readonly timeoutMs: number;
  readonly attempts: number;

  constructor(context: OperationContext, timeoutMs: number, attempts: number) {
    super(context, `SignalR Service ${where(context)} timed out after ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'SignalRTimeoutError';
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
  }
}

/** The service could not be reached or the connection broke (no HTTP status). */
export class SignalRNetworkError extends SignalRRestError {
  /** Node/axios error code such as ECONNREFUSED, ECONNRESET, ENOTFOUND. */
  readonly code?: string;
  readonly attempts: number;

  constructor(context: OperationContext, detail: { code?: string; message: string; attempts: number }) {
    super(context, `SignalR Service ${where(context)} could not be completed: ${scrubSecrets(detail.message)}${detail.code === undefined ? '' : ` (${detail.code})`}`);
    this.name = 'SignalRNetworkError';
    if (detail.code !== undefined) this.code = detail.code;
    this.attempts = detail.attempts;
  }
}

/**
 * The call was refused before anything was sent: the client already had its bound of calls in flight to the
 * service. Past capacity, answering at once (the caller may retry later) beats queueing calls that all wait.
 */
export class SignalRBusyError extends SignalRRestError {
  /** The endpoint's bound when the call was refused (lowered below maxInFlight while calls are slow). */
  readonly limit: number;
  readonly maxInFlight: number;

  constructor(context: OperationContext, endpoint: string, state: InFlightState) {
    const lowered = state.slowAverageMs === undefined ? '' : ` (the bound, lowered from ${state.max} while calls took ${Math.round(state.slowAverageMs)} ms on average)`;
    super(context, `SignalR Service ${where(context)} was not sent: ${state.inFlight} calls to ${endpoint} are already in flight${lowered}, so the service is slower than the load on this app`);
    this.name = 'SignalRBusyError';
    this.limit = state.limit;
    this.maxInFlight = state.max;
  }
}
