/**
 * Whether one SignalR Service endpoint is online, as its health checks say (HEAD /api/health).
 *
 * - Online until a check says otherwise: an endpoint is usable from the start and a check never holds up a
 *   request (the official SDK, by contrast, awaits a first round before the first call).
 * - A failed check (false, an error, a timeout) makes it offline; a good one makes it online again. One check
 *   is one REST call with the client's retries inside its time budget, so a single lost packet does not count.
 * - Checks run every `intervalMs` on the injected clock (fixed rate: a check still running when the next is due
 *   is not doubled), and at once when a call to the endpoint failed (`checkSoon`, also never doubled). So a dead
 *   instance is offline within one interval plus one check, and at once under traffic.
 * - `close()` stops the timer and aborts a check still running, which then changes nothing.
 */
import type { Clock } from '../../contract';

/** What callers may read and watch; the state changes only through checks. */
export interface EndpointHealthView {
  readonly online: boolean;
  /** Checks started so far. */
  readonly checks: number;
  /** Called when a check changed the state, with the number of checks started by then. Returns an unsubscribe. */
  onChange(listener: (online: boolean, checks: number) => void): () => void;
}

export interface EndpointHealthOptions {
  /** One check: resolves true when the endpoint is healthy; a rejection counts as unhealthy. `signal` aborts it on close(). */
  check: (signal: AbortSignal) => Promise<boolean>;
  intervalMs: number;
  clock: Clock;
}

export class EndpointHealth implements EndpointHealthView {
  private state = true;
  private started = 0;
  private running: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private closed = false;
  private readonly stop = new AbortController();
  private readonly listeners = new Set<(online: boolean, checks: number) => void>();

  constructor(private readonly options: EndpointHealthOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
  }

  get online(): boolean {
    return this.state;
  }

  get checks(): number {
    return this.started;
  }

  onChange(listener: (online: boolean, checks: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the periodic checks (the first one interval from now). */
  start(): void {
    if (this.closed || this.cancelTimer !== undefined) return;
    const tick = (): void => {
      if (this.closed) return;
      this.cancelTimer = this.options.clock.schedule(tick, this.options.intervalMs);
      void this.checkNow();
    };
    this.cancelTimer = this.options.clock.schedule(tick, this.options.intervalMs);
  }

  /** A call to the endpoint failed: check it now, in the background. */
  checkSoon(): void {
    void this.checkNow();
  }

  /** Runs a check, or joins the one running; resolves once the state reflects it. Never rejects. */
  checkNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.runCheck().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.listeners.clear();
    this.stop.abort();
  }

  private async runCheck(): Promise<void> {
    this.started++;
    let healthy: boolean;
    try {
      healthy = (await this.options.check(this.stop.signal)) === true;
    } catch {
      healthy = false;
    }
    if (this.closed || healthy === this.state) return;
    this.state = healthy;
    for (const listener of [...this.listeners]) {
      try {
        listener(healthy, this.started);
      } catch {
        // A watcher's bug must not stop the checks (this runs on a timer, where a throw would be unhandled).
      }
    }
  }
}

/** The health of the only endpoint: never checked (nothing to fail over to), always online. */
export const ALWAYS_ONLINE: EndpointHealthView = {
  online: true,
  checks: 0,
  onChange: () => () => undefined,
};
