/**
 * The bound on one endpoint's REST calls in flight, following the service: `max` while calls come back quickly;
 * once they come back slowly because too many are queued at the service, as many as the service completes in the
 * latency aimed for. A call past the bound is refused at once (SignalRBusyError: the functions answer 503 with
 * Retry-After) instead of joining the queue. Past capacity, a caller should hear "later" at once, not wait
 * seconds for an answer: a fixed bound high enough for a fast service (256) is never reached by a slow one
 * within the seconds its callers wait (a broadcast to 1,000 clients takes the emulator ~10 ms).
 *
 * The rule (additive increase, Little's-law decrease), on the calls' smoothed time (an exponentially weighted
 * mean, each call weighing 1/10), so one stalled call (a GC pause, a cold start) moves nothing:
 * - slow: the smoothed time is over max(`slowCallMs`, 4 x the fastest call of the last 30 to 60 s). The floor
 *   keeps ordinary jitter out; the factor keeps a far-away endpoint (every call 200 ms) from looking congested.
 * - A call that finds it slow, finishing with at least `min` calls in flight, lowers the bound to
 *   inFlight x aim / smoothed time, aim = half the slow threshold: by Little's law, what the service completes
 *   within the aim. Once per round: a call that started before the last lowering measured the queue that
 *   lowering already answered. With fewer than `min` in flight the slowness is not our queue: nothing is lowered.
 * - A call answered with no queue to speak of (within a quarter of the slow threshold, or 1.5x the fastest call)
 *   raises the bound by one, up to `max`: doubling per round, so a service that caught up gets its callers back
 *   within a few round trips.
 * - A call answered within the aim but past that raises it by 1/bound: one per round. The service is near the
 *   aim; doubling there would overshoot it within a second and queue seconds of calls before the next lowering
 *   (the tail this rule is for), where one more call per round lets the queue grow a call at a time.
 */

export interface InFlightLimitOptions {
  /** The bound while the service keeps up. */
  max: number;
  /** The bound is never lowered below this. Default: 16, or `max` when smaller (then it never moves). */
  min?: number;
  /** Calls slower than this on average (and than 4x the fastest recent call) are queueing. Default 500 ms. */
  slowCallMs?: number;
  now?: () => number;
}

export interface InFlightPermit {
  readonly startedAt: number;
}

/** Why the bound is where it is, for the busy error's message. */
export interface InFlightState {
  inFlight: number;
  limit: number;
  max: number;
  /** The calls' smoothed time when the bound was last lowered, while it is lowered. */
  slowAverageMs?: number;
}

export const DEFAULT_MIN_IN_FLIGHT = 16;
/**
 * 500 ms: capacity is p99 under 1 s; calls averaging past half of that are past it, and the aim (250 ms) leaves the
 * delivery after the call room within the second. Lower, a client process that is itself saturated (64 calls in
 * flight, each waiting ~250 ms for its own turn) would start refusing work it only runs slowly.
 */
export const DEFAULT_SLOW_CALL_MS = 500;
const SLOW_FACTOR = 4;
/**
 * A call within 1.5x the fastest recent one met no queue worth the name, however far away the endpoint is. Under
 * SLOW_FACTOR / 2 (the aim, for a far endpoint, is 2x its fastest call), so a far endpoint keeps a band in which
 * the bound creeps.
 */
const UNQUEUED_FACTOR = 1.5;
/** Each call's weight in the smoothed time: about the last ten calls count. */
const SMOOTHING = 0.1;
const BASELINE_WINDOW_MS = 30_000;

export class AdaptiveInFlightLimit {
  private readonly max: number;
  private readonly min: number;
  private readonly slowCallMs: number;
  private readonly now: () => number;
  /** Fractional: near the aim each call adds 1/bound. */
  private current: number;
  private active = 0;
  private loweredAt = Number.NEGATIVE_INFINITY;
  private slowAverageMs: number | undefined;
  private smoothedMs: number | undefined;
  // The fastest call of this window and of the one before: a route that got slower is learnt within 60 s.
  private fastestNow = Number.POSITIVE_INFINITY;
  private fastestBefore = Number.POSITIVE_INFINITY;
  private windowStartedAt: number;

  constructor(options: InFlightLimitOptions) {
    this.max = options.max;
    this.min = Math.min(options.min ?? DEFAULT_MIN_IN_FLIGHT, options.max);
    this.slowCallMs = options.slowCallMs ?? DEFAULT_SLOW_CALL_MS;
    this.now = options.now ?? (() => performance.now());
    this.current = this.max;
    this.windowStartedAt = this.now();
  }

  get state(): InFlightState {
    const state: InFlightState = { inFlight: this.active, limit: this.bound(), max: this.max };
    if (this.current < this.max && this.slowAverageMs !== undefined) state.slowAverageMs = this.slowAverageMs;
    return state;
  }

  /** A permit for one call, or undefined when the bound is reached. */
  tryAcquire(): InFlightPermit | undefined {
    if (this.active >= this.bound()) return undefined;
    this.active += 1;
    return { startedAt: this.now() };
  }

  /** The call is over (answered, failed or abandoned); its latency moves the bound. */
  release(permit: InFlightPermit): void {
    const finishedAt = this.now();
    const latency = finishedAt - permit.startedAt;
    const inFlightWithThis = this.active;
    this.active -= 1;
    const slow = this.slowThresholdMs();
    this.observe(latency, finishedAt);
    const smoothed = this.smoothedMs === undefined ? latency : this.smoothedMs + SMOOTHING * (latency - this.smoothedMs);
    this.smoothedMs = smoothed;
    const aimMs = slow / 2;
    if (smoothed > slow) {
      if (permit.startedAt >= this.loweredAt && inFlightWithThis >= this.min) {
        this.current = Math.max(this.min, Math.min(this.current, Math.floor((inFlightWithThis * aimMs) / smoothed)));
        this.loweredAt = finishedAt;
        this.slowAverageMs = smoothed;
      }
    } else if (latency <= aimMs && this.current < this.max) {
      const unqueued = latency <= Math.max(aimMs / 2, UNQUEUED_FACTOR * this.fastestMs());
      this.current = Math.min(this.max, this.current + (unqueued ? 1 : 1 / this.bound()));
    }
  }

  /** The whole calls allowed: `current` grows by fractions near the aim. */
  private bound(): number {
    return Math.floor(this.current);
  }

  private fastestMs(): number {
    return Math.min(this.fastestNow, this.fastestBefore);
  }

  private slowThresholdMs(): number {
    const fastest = this.fastestMs();
    return Number.isFinite(fastest) ? Math.max(this.slowCallMs, SLOW_FACTOR * fastest) : this.slowCallMs;
  }

  private observe(latency: number, at: number): void {
    if (at - this.windowStartedAt >= BASELINE_WINDOW_MS) {
      this.fastestBefore = this.fastestNow;
      this.fastestNow = Number.POSITIVE_INFINITY;
      this.windowStartedAt = at;
    }
    if (latency < this.fastestNow) this.fastestNow = latency;
  }
}
