/**
 * How far behind the event loop runs: the local host's stand-in for the performance counters the Functions host
 * watches when host.json sets `extensions.http.dynamicThrottlesEnabled` (it refuses requests with 429 while one is
 * past its threshold).
 *
 * WHY: past capacity, requests wait where the host cannot count them (in the kernel's socket buffers and accept
 * queue, or in a client's connection pool) and the request bounds (maxOutstandingRequests) never see them: every
 * request then waits seconds. A loop that runs late is what saturation looks like from inside one Node process,
 * and refusing while it does is cheap (no function runs, no call goes out), so the host catches up quickly.
 *
 * A timer due every SAMPLE_MS measures how late it fired. The host counts as too busy once SUSTAINED_SAMPLES
 * samples in a row were over the threshold, and stops at the first sample on time: one long pause (a garbage
 * collection, a module loaded on first use, one CPU-heavy call) refuses nothing, while a loop that stays behind
 * because work keeps arriving faster than it is done does.
 */
export const SAMPLE_MS = 20;
/** Lag above which a sample counts as late. */
export const TOO_BUSY_LAG_MS = 50;
/** Late samples in a row before the host counts as too busy. */
export const SUSTAINED_SAMPLES = 3;

export class EventLoopBusyMonitor {
  private lastLagMs = 0;
  private lateInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;

  constructor(private readonly thresholdMs: number = TOO_BUSY_LAG_MS) {
    this.schedule();
  }

  /** How late the last sample fired, in milliseconds. */
  get lagMs(): number {
    return this.lastLagMs;
  }

  tooBusy(): boolean {
    return this.lateInARow >= SUSTAINED_SAMPLES;
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.expectedAt = performance.now() + SAMPLE_MS;
    this.timer = setTimeout(() => this.sample(), SAMPLE_MS);
    // Watching must never keep a process alive on its own.
    this.timer.unref();
  }

  private sample(): void {
    this.lastLagMs = Math.max(0, performance.now() - this.expectedAt);
    this.lateInARow = this.lastLagMs > this.thresholdMs ? this.lateInARow + 1 : 0;
    this.schedule();
  }
}
