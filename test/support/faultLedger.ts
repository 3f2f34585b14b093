/**
 * Per-fault accounting behind the README's "faults injected and survived": every injected fault is written down
 * with the outcome it must lead to, and counts as survived only when that outcome was OBSERVED.
 *
 * An outcome is one of
 * - `failed`: the call failed cleanly, the caller got `status` (an HTTP status, or the client error's name when
 *   there is no status) and `code` when the answer has one, and the message arrived `deliveries` times (0 when
 *   the service never got it, 1 when it did before the connection broke: never 2);
 * - `recovered`: the call succeeded and its message arrived exactly once (`deliveries: 1`: no loss, no duplicate).
 *
 * `deliveries` is what the receiving side counted (a listening client, or the requests a recording service
 * received), never what the caller intended. A fault whose observed outcome differs from its expected one is
 * counted as injected and not survived, and the test fails with both shown. Where the policy allows two clean
 * ends (the deadline falling between attempts or during one), the expected outcome is the list of both.
 */
import type { FigureRecorder } from './reliabilityFigures';

export type Outcome =
  | { result: 'failed'; status: number | string; code?: string; deliveries: number }
  | { result: 'recovered'; deliveries: number };

export const RECOVERED: Outcome = Object.freeze({ result: 'recovered', deliveries: 1 });

export function failedWith(status: number | string, deliveries: number, code?: string): Outcome {
  return code === undefined ? { result: 'failed', status, deliveries } : { result: 'failed', status, code, deliveries };
}

/**
 * The deliveries of a stream to its receivers, as one number for an outcome: 1 when every receiver got every message
 * exactly once, 0 when any message is missing, 2 when any arrived twice.
 */
export function streamDeliveries(counted: { received: number; gaps: number; duplicates: number }, expected: number): number {
  if (counted.duplicates > 0 || counted.received > expected) return 2;
  return counted.gaps > 0 || counted.received < expected ? 0 : 1;
}

/** Faults by kind, as their injector counted them (the proxy, a killed client, a stopped process). */
export type FaultCounts = Readonly<Record<string, number>>;

export function sameOutcome(expected: Outcome, observed: Outcome): boolean {
  if (expected.result !== observed.result || expected.deliveries !== observed.deliveries) return false;
  if (expected.result === 'recovered' || observed.result === 'recovered') return true;
  return expected.status === observed.status && expected.code === observed.code;
}

export class FaultLedger {
  constructor(private readonly figures: FigureRecorder) {}

  /**
   * The outcome each of `faults` (those that hit one call, one client, one process) must lead to, against the
   * outcome observed. Counted as injected at once, as survived only when the two agree; then asserts they agree.
   * `faults` comes last so that, written inline, it is read after the outcome was observed.
   */
  settle(expected: Outcome | readonly Outcome[], observed: Outcome, faults: FaultCounts): void {
    const acceptable: readonly Outcome[] = Array.isArray(expected) ? expected : [expected as Outcome];
    const survived = acceptable.some((outcome) => sameOutcome(outcome, observed));
    this.countInjected(faults);
    if (survived) {
      for (const [kind, count] of Object.entries(faults)) {
        if (count === 0) continue;
        this.figures.add('faultsSurvived', count);
        this.figures.detail(`faults.${kind}.survived`, count);
      }
    }
    if (acceptable.length === 1) expect(observed).toEqual(acceptable[0]);
    else expect(acceptable).toContainEqual(observed);
  }

  /** Faults injected that no test settled (call in afterEach): counted as injected, not survived, and a failure. */
  unsettled(faults: FaultCounts): void {
    const total = Object.values(faults).reduce((sum, n) => sum + n, 0);
    this.countInjected(faults);
    expect({ faultsWithoutObservedOutcome: total }).toEqual({ faultsWithoutObservedOutcome: 0 });
  }

  private countInjected(faults: FaultCounts): void {
    for (const [kind, count] of Object.entries(faults)) {
      if (count === 0) continue;
      this.figures.add('faultsInjected', count);
      this.figures.detail(`faults.${kind}.injected`, count);
    }
  }
}
