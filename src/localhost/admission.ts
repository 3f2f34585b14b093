/**
 * The Functions host's HTTP throttles, as host.json sets them: at most `maxConcurrentRequests` invocations run at
 * once (the rest wait, first come first served), and at most `maxOutstandingRequests` are held in all; beyond
 * that a request is refused at once with 429, as the host does. Refusing quickly is the point: past capacity a
 * server that queues without bound makes every request wait seconds, while a refused one can retry elsewhere or
 * later.
 */
export type Admission = { kind: 'admitted'; release: () => void } | { kind: 'waiting'; admitted: Promise<() => void> } | { kind: 'refused' };

export class RequestAdmission {
  private running = 0;
  private readonly waiting: Array<(release: () => void) => void> = [];

  constructor(
    private readonly maxConcurrent = Number.POSITIVE_INFINITY,
    private readonly maxOutstanding = Number.POSITIVE_INFINITY,
  ) {}

  /** Requests held now: running and waiting. */
  get outstanding(): number {
    return this.running + this.waiting.length;
  }

  enter(): Admission {
    if (this.outstanding >= this.maxOutstanding) return { kind: 'refused' };
    if (this.running < this.maxConcurrent) {
      this.running += 1;
      return { kind: 'admitted', release: this.releaser() };
    }
    return { kind: 'waiting', admitted: new Promise((resolve) => this.waiting.push(resolve)) };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(this.releaser());
      else this.running -= 1;
    };
  }
}
