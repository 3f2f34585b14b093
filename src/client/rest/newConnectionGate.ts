/**
 * How many new connections the REST client waits on at once: a request is sent only while the requests out number
 * at most the pooled sockets that have answered plus `maxOpening`; the others wait here, first in first out, for a
 * socket to come free or for a new one to answer.
 *
 * WHY: Node's agent opens a new socket for every request that finds no free one, and a busy Node server (the
 * emulator; any server whose event loop is the bottleneck) takes one new connection per turn of its loop. Past
 * capacity its turns last tens of milliseconds, so 100 sockets opened in a burst are read one turn apart and the
 * last request waits seconds, while a request on a socket already open is answered within one call's time. Measured
 * on the broadcast pipeline at twice its knee: calls on new sockets took 0.4-2.6 s against 50-90 ms on open ones
 * (bench/README.md, "Capacity"). Waiting for a socket that answers instead keeps every call within a few call
 * times, and the wait counts in the call's time, so the in-flight bound (inFlightLimit.ts) sees the queue.
 *
 * A fast server loses nothing: its new sockets answer within a round trip, and each one that answers lets one more
 * open, so a burst to a fresh client still grows the pool by `maxOpening` per round trip.
 */
/** What a wait reads of the call's signal (an AbortSignal, or the call budget's lighter one). */
export interface WaitSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?(type: 'abort', listener: () => void): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

/** 8: a bound of 4 held broadcasts near the knee back (p50 up to 450 ms at 256/s, against ~50 ms with 8). */
export const DEFAULT_MAX_OPENING_SOCKETS = 8;

interface Waiter {
  admit(): void;
}

export class NewConnectionGate {
  /** Pooled sockets that have answered a request and are still open. */
  private answered = 0;
  /** Requests handed to the agent and not yet settled. */
  private out = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly maxOpening: number = DEFAULT_MAX_OPENING_SOCKETS) {}

  /** Sends now when a socket is free or one more may open; false: call `wait`. */
  tryEnter(): boolean {
    if (this.waiting.length > 0 || !this.hasRoom()) return false;
    this.out += 1;
    return true;
  }

  /** Resolves when the request may be sent (it then counts as out); rejects with the signal's reason on abort. */
  wait(signal: WaitSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const abortReason = (): unknown => signal.reason ?? new DOMException('The call was aborted.', 'AbortError');
      if (signal.aborted) {
        reject(abortReason());
        return;
      }
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(abortReason());
      };
      const waiter: Waiter = {
        admit: () => {
          signal.removeEventListener?.('abort', onAbort);
          resolve();
        },
      };
      signal.addEventListener?.('abort', onAbort);
      this.waiting.push(waiter);
    });
  }

  /** The request entered with tryEnter or wait has settled. */
  leave(): void {
    this.out -= 1;
    this.admitWaiting();
  }

  /** A pooled socket answered its first request (the agent keeps it for the next). */
  socketAnswered(): void {
    this.answered += 1;
    this.admitWaiting();
  }

  /** A socket counted by socketAnswered closed. */
  answeredSocketClosed(): void {
    this.answered -= 1;
  }

  get state(): { out: number; answered: number; waiting: number } {
    return { out: this.out, answered: this.answered, waiting: this.waiting.length };
  }

  /**
   * Requests beyond the answered sockets go out on sockets that have not answered yet, each on its own (the agent
   * hands a free socket to the next request first); at most `maxOpening` of them.
   */
  private hasRoom(): boolean {
    return this.out < this.answered + this.maxOpening;
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.hasRoom()) {
      this.out += 1;
      this.waiting.shift()!.admit();
    }
  }
}
