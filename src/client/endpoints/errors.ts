/**
 * The error of a REST call made to several endpoints when one or more of them failed. It names every endpoint
 * that failed (name, type and URL, never a key) with what happened there, and the ones that accepted the call,
 * so a log line says exactly where a message went and where it did not.
 */
import { describeEndpoint, type EndpointIdentity } from './identity';

export interface EndpointFailure {
  readonly endpoint: EndpointIdentity;
  /** The REST layer's error for that endpoint (SignalRServiceError, SignalRNetworkError, SignalRTimeoutError...). */
  readonly error: unknown;
}

export class SignalREndpointsError extends Error {
  /** Interface method name, e.g. `broadcast`. */
  readonly operation: string;
  readonly hub?: string;
  readonly failures: readonly EndpointFailure[];
  /** Endpoints that did what was asked: with sends, their clients got the message. */
  readonly succeeded: readonly EndpointIdentity[];

  constructor(operation: string, hub: string | undefined, failures: readonly EndpointFailure[], succeeded: readonly EndpointIdentity[]) {
    const total = failures.length + succeeded.length;
    const where = hub === undefined ? operation : `${operation} on hub '${hub}'`;
    const failed = failures.map((f) => `${describeEndpoint(f.endpoint)}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
    const accepted = succeeded.length === 0 ? '' : `; accepted by ${succeeded.map(describeEndpoint).join(', ')}`;
    super(`SignalR Service ${where} failed on ${failures.length} of ${total} endpoint${total === 1 ? '' : 's'}: ${failed}${accepted}`);
    this.name = 'SignalREndpointsError';
    this.operation = operation;
    if (hub !== undefined) this.hub = hub;
    this.failures = failures;
    this.succeeded = succeeded;
  }

  /** Some endpoints accepted the call and others did not: with a send, some clients got the message. */
  get partial(): boolean {
    return this.succeeded.length > 0;
  }
}
