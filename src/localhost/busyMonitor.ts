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
 * A timer due every SAMPLE_MS measures how late it fired; the lag is smoothed (each sample counts half), so one
 * garbage collection pause does not refuse anything while a backlog of work does.
 */
export const SAMPLE_MS = 20;
/** Smoothed lag above which the host counts as too busy. */
export const TOO_BUSY_LAG_MS = 50;

export class EventLoopBusyMonitor {
  private smoothedLagMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;

  constructor(private readonly thresholdMs: number = TOO_BUSY_LAG_MS) {
    this.schedule();
  }

  /** The smoothed lag of the event loop, in milliseconds. */
  get lagMs(): number {
    return this.smoothedLagMs;
  }

  tooBusy(): boolean {
    return this.smoothedLagMs > this.thresholdMs;
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
    const lag = Math.max(0, performance.now() - this.expectedAt);
    this.smoothedLagMs = (this.smoothedLagMs + lag) / 2;
    this.schedule();
  }
}
