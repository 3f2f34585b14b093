/**
 * How many new connections the REST client waits on at once: a request goes out only while the requests out number
 * at most the pooled sockets that have answered (and are still open) plus `maxOpening`, so at most `maxOpening`
 * requests ride on sockets the server has not answered yet. The others wait here, first in first out, for a socket
 * to come free or for a new one to answer.
 *
 * WHY: Node's agent opens a new socket for every request that finds no free one, and a busy Node server (the
 * emulator; any server whose event loop is the bottleneck) takes one new connection per turn of its loop. Past
 * capacity its turns last tens of milliseconds, so 100 sockets opened in a burst are read one turn apart and the
 * last request waits seconds, while a request on a socket already open is answered within one call's time. In a
 * scratch run of the broadcast pipeline at 256/s (a bare node:http client), calls on new sockets took 430 ms on
 * average against 46 ms on open ones; through the adapter, broadcasts at 448/s waited 1.6-3.0 s at p99 in four
 * runs of four, and 0.25-0.74 s with this gate (bench/README.md, "Capacity").
 * Waiting for a socket that answers keeps every call within a few call times, and the wait counts in the call's
 * time, so an in-flight bound that follows the service (inFlightLimit.ts) sees the queue.
 *
 * A fast server loses little: its new sockets answer within a round trip, and each one that answers lets one more
 * open, so a burst to a fresh client grows the pool by `maxOpening` per round trip. A server that does not keep
 * connections (it answers `Connection: close`, or hints a keep-alive of a second or less, which Node's agent
 * does not reuse) has no socket to wait for: every request needs a new connection. Once a socket that read an
 * answer closes without going back to the pool, the gate lets every request out, until a socket is kept again.
 */

/** What a wait reads of the call's signal: an AbortSignal, or the call budget's lighter one (callBudget.ts). */
export interface WaitSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * 8: at 4, calls near the broadcast pipeline's knee waited for sockets (p50 211-446 ms at 256/s over three
 * scratch runs, against 47-52 ms at 8), and twice the knee was no better.
 */
export const DEFAULT_MAX_OPENING_SOCKETS = 8;

/** Why a wait ended without the request going out: the client was closed. */
export class ClientClosedError extends Error {
  constructor() {
    super('the REST client was closed before the call went out');
    this.name = 'ClientClosedError';
  }
}

interface Waiter {
  admit(): void;
  refuse(error: Error): void;
}

export class NewConnectionGate {
  /** Pooled sockets that have answered a request and are still open. */
  private answered = 0;
  /** Requests handed to the agent and not yet settled. */
  private out = 0;
  /** False once a socket that read an answer closed without being kept, until one is kept again. */
  private serverKeepsConnections = true;
  private closed = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly maxOpening: number = DEFAULT_MAX_OPENING_SOCKETS) {}

  /** Sends now when there is room and no one waits; false: call `wait`. */
  tryEnter(): boolean {
    if (this.closed || this.waiting.length > 0 || !this.hasRoom()) return false;
    this.out += 1;
    return true;
  }

  /**
   * Resolves when the request may go out (it then counts as out). Rejects with the signal's reason on abort, and
   * with ClientClosedError once the gate is closed.
   */
  wait(signal: WaitSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ClientClosedError());
        return;
      }
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
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort);
      this.waiting.push(waiter);
    });
  }

  /** The request entered with tryEnter or wait has settled. */
  leave(): void {
    this.out -= 1;
    this.admitWaiting();
  }

  /** A pooled socket answered its first request and the agent keeps it for the next. */
  socketAnswered(): void {
    this.answered += 1;
    this.serverKeepsConnections = true;
    this.admitWaiting();
  }

  /** A socket counted by socketAnswered closed. */
  answeredSocketClosed(): void {
    this.answered -= 1;
  }

  /** A socket read an answer and closed without going back to the pool: the server does not keep connections. */
  socketNotKept(): void {
    this.serverKeepsConnections = false;
    this.admitWaiting();
  }

  /** The client is closing: the waiting requests never go out, and neither does any later one. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.refuse(new ClientClosedError());
  }

  get state(): { out: number; answered: number; waiting: number } {
    return { out: this.out, answered: this.answered, waiting: this.waiting.length };
  }

  /** The agent hands a free socket to the next request first, so only requests past the answered sockets open one. */
  private hasRoom(): boolean {
    return !this.serverKeepsConnections || this.out < this.answered + this.maxOpening;
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.hasRoom()) {
      this.out += 1;
      this.waiting.shift()!.admit();
    }
  }
}
