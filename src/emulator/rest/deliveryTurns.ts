/**
 * Spreads the REST calls' deliveries over turns of the event loop once they have run for a few ms in one turn.
 *
 * Node reads every ready socket in one turn and ran each request's delivery at once: under a burst of broadcasts
 * to 1,000 clients (5-10 ms each) one turn grew to 100-200 ms. The server accepts one new connection per turn, so
 * a REST client that opened a connection during the burst waited over a second for its first call to be read,
 * while calls on open connections were answered within a fraction of that (`bench/README.md`, "Capacity").
 * A delivery that would start `budgetMs` or more after the turn's first one waits for the check phase (after the
 * turn's I/O), in the order the calls came; the check phase starts waiting deliveries for `budgetMs`, then leaves
 * the rest for after the next turn's I/O. (The budget bounds when a delivery starts, so the last one of a batch
 * runs past it by its own length.) Deliveries run together there also leave together: each socket's writes of
 * that callback go out in one system call (turnBatch.ts), where one delivery per I/O callback cost one call per
 * delivery. The queue holds one delivery per REST request in progress, so it is bounded as those requests are.
 */
export interface DeliveryTurnsOptions {
  budgetMs?: number;
  now?: () => number;
}

const DEFAULT_BUDGET_MS = 8;

export class DeliveryTurns {
  private readonly budgetMs: number;
  private readonly now: () => number;
  /** Each settles its caller's promise and never throws, so one failing delivery cannot stop the rest. */
  private readonly waiting: Array<() => void> = [];
  /** When the first delivery of this turn ran; undefined until one runs. */
  private turnStartedAt: number | undefined;
  private drainScheduled = false;

  constructor(options: DeliveryTurnsOptions = {}) {
    this.budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `deliver` now (in the caller) while this turn's budget lasts and nothing waits, else in a later check
   * phase, in order; the promise settles with what it returned or threw.
   */
  run<T>(deliver: () => T): Promise<T> {
    const now = this.now();
    if (this.turnStartedAt === undefined) {
      this.turnStartedAt = now;
      this.scheduleDrain();
    }
    const runsNow = this.waiting.length === 0 && now - this.turnStartedAt < this.budgetMs;
    return new Promise<T>((resolve, reject) => {
      const attempt = (): void => {
        try {
          resolve(deliver());
        } catch (error) {
          reject(error);
        }
      };
      if (runsNow) attempt();
      else this.waiting.push(attempt);
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    const startedAt = this.now();
    while (this.waiting.length > 0 && this.now() - startedAt < this.budgetMs) this.waiting.shift()!();
    if (this.waiting.length > 0) {
      this.scheduleDrain(); // the rest after the next turn's I/O; new calls queue behind them meanwhile
    } else {
      this.turnStartedAt = undefined;
    }
  }
}
