/**
 * When a failed HTTP attempt certainly never reached the service, so that even a send may be repeated: the one
 * retry rule the REST client (src/client/rest) and the emulator's upstream caller (src/emulator/upstream) share.
 *
 * A server, or a load balancer in front of it (Azure's close idle connections), may close a kept-alive connection
 * at the very moment the client writes its next request on it. The client then sees the connection reset
 * (`ECONNRESET`, "socket hang up"), or its write refused (`EPIPE`), on a socket it REUSED, before ANY BYTE of an
 * answer arrived. Node's documentation describes this case (`request.reusedSocket`) and recommends retrying it:
 * the server closed the connection instead of reading the request. Repeating it once on a fresh connection
 * cannot deliver a message twice.
 *
 * Every other failure that may have come after the service acted stays unretried for non-idempotent calls: a
 * reset on a fresh connection, a reset after the first byte of the answer, a timeout.
 *
 * What the rule cannot see: a proxy that forwarded the request and then dropped a reused connection before the
 * service's first byte came back looks the same, and the request is then repeated. That needs a failure between
 * two machines inside one request's round trip; closing idle connections is what load balancers do every minute.
 */

/** Error codes of a connection the server closed under the request. */
export const STALE_CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

export interface FailedAttemptOnConnection {
  /** The Node error code (`ECONNRESET` for a reset and for "socket hang up"). */
  readonly errorCode: string | undefined;
  /** The request went out on a kept-alive socket an earlier request had used (`request.reusedSocket`). */
  readonly reusedSocket: boolean;
  /** At least one byte arrived on the socket after the request was put on it. */
  readonly answerStarted: boolean;
}

/** True when the server closed a reused kept-alive connection before answering: the request was never processed. */
export function failedOnStaleConnection(attempt: FailedAttemptOnConnection): boolean {
  return attempt.reusedSocket && !attempt.answerStarted && attempt.errorCode !== undefined && STALE_CONNECTION_ERROR_CODES.has(attempt.errorCode);
}
