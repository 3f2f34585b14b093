/**
 * When a failed REST attempt may be repeated, and how long to wait.
 *
 * Policy (the reason for each rule is next to it):
 *
 * Idempotent calls (HEAD, PUT, DELETE): repeating them cannot change the outcome, so they are retried on
 *   - any network failure without an HTTP status (refused, reset, DNS, socket hang up),
 *   - 408 Request Timeout, 429 Too Many Requests, and every 5xx.
 *
 * Non-idempotent calls (POST `:send` and `:closeConnections`): a duplicate send would deliver a message
 * twice, so they are retried ONLY when the service certainly did not process the request:
 *   - connection-establishment failures (ECONNREFUSED, ENOTFOUND, EAI_AGAIN, ENETUNREACH, EHOSTUNREACH,
 *     EADDRNOTAVAIL): the TCP connection never existed, so not a byte of the request was written;
 *   - 429: the service throttled the request instead of handling it;
 *   - 503 carrying `Retry-After`: the service (or its gateway) refused the request for now and says when
 *     to come back. A bare 503 / 500 / 502 / 504 / 408 or a reset after the request was written may come
 *     after the message was already fanned out, so these are NOT retried; the caller gets the error.
 *
 * Below this policy, inside one attempt, the request executor resends once on a fresh connection a request that
 * failed on a reused kept-alive socket the server had closed before answering (src/contract/staleConnections.ts):
 * that request never reached the service, so the resend is safe for sends too and is not counted as an attempt.
 *
 * Waits: exponential backoff with full jitter (random in [0, min(maxDelay, base * 2^retry)]), except
 * that a `Retry-After` header (seconds or HTTP date) is honoured exactly. The number of attempts is
 * bounded by `maxAttempts`, and the total time by the call's timeout: a wait that would overrun it
 * is not started, and the last real error is reported instead.
 */

export type Idempotency = 'idempotent' | 'nonIdempotent';

export type AttemptFailure =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterMs?: number }
  | { readonly kind: 'network'; readonly code?: string };

export interface RetryOptions {
  /** Attempts in total, including the first. Default 4. */
  maxAttempts: number;
  /** First backoff ceiling in ms. Default 200. */
  baseDelayMs: number;
  /** Backoff ceiling in ms. Default 5000. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for; the error is returned instead. Default 30000. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  maxRetryAfterMs: 30_000,
});

/** Errors raised before a connection existed: nothing of the request reached the server. */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
]);

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function isRetryable(idempotency: Idempotency, failure: AttemptFailure): boolean {
  if (idempotency === 'idempotent') {
    return failure.kind === 'network' || isTransientStatus(failure.status);
  }
  if (failure.kind === 'network') return failure.code !== undefined && NOT_SENT_NETWORK_CODES.has(failure.code);
  return failure.status === 429 || (failure.status === 503 && failure.retryAfterMs !== undefined);
}

/** Full-jitter backoff for the `retry`-th retry (1-based). */
export function backoffDelayMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Parses `Retry-After` (delta-seconds or HTTP-date) into milliseconds from `nowMs`; undefined when absent or invalid. */
export function parseRetryAfterMs(header: unknown, nowMs: number = Date.now()): number | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // HTTP-date forms (IMF-fixdate, RFC 850, asctime) all start with a day name; Date.parse alone would accept '-1'.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
