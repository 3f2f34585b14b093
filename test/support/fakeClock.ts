import type { Clock } from '../../src/contract/clock';

/** A clock that only moves when told to; `advance` runs every timer that falls due, in time order. */
export class FakeClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 11, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const id = ++this.sequence;
    this.timers.set(id, { at: this.current + Math.max(0, delayMs), callback });
    return () => this.timers.delete(id);
  }

  /** Timers not yet run or cancelled. */
  pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (next === undefined || timer.at < next.at)) {
          nextId = id;
          next = timer;
        }
      }
      if (nextId === undefined || next === undefined) break;
      this.timers.delete(nextId);
      this.current = next.at;
      next.callback();
    }
    this.current = end;
  }
}
