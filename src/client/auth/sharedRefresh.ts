/**
 * A value fetched from elsewhere (an Entra token, a temporary access key), cached, and refreshed by ONE fetch that
 * every caller shares:
 * - fresh: returned as is;
 * - stale but still usable: returned at once, while one refresh runs in the background (a failed refresh leaves
 *   the old value in place, and the next caller tries again);
 * - missing or no longer usable: every caller waits for the shared refresh.
 *
 * The shared fetch belongs to nobody: it runs on its own time budget (the fetch function's), never on a caller's
 * abort signal. Each caller waits with its OWN signal, so one caller giving up rejects that caller only, and the
 * others still get the value.
 */

export interface Freshness {
  /** No refresh needed. */
  fresh: boolean;
  /** May still be handed out while a refresh runs. */
  usable: boolean;
}

export class SharedRefresh<T> {
  private current?: { value: T; fetchedAt: number };
  private pending?: Promise<T>;

  constructor(
    private readonly fetchValue: () => Promise<T>,
    private readonly freshness: (value: T, fetchedAt: number, now: number) => Freshness,
    private readonly now: () => number = Date.now,
  ) {}

  async get(signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const current = this.current;
    if (current !== undefined) {
      const { fresh, usable } = this.freshness(current.value, current.fetchedAt, this.now());
      if (fresh) return current.value;
      if (usable) {
        // The caller is not held up; a failure is retried by the next caller.
        this.refresh().catch(() => undefined);
        return current.value;
      }
    }
    return untilAborted(this.refresh(), signal);
  }

  private refresh(): Promise<T> {
    this.pending ??= this.fetchValue()
      .then((value) => {
        this.current = { value, fetchedAt: this.now() };
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts (the promise itself runs on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
