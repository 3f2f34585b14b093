/**
 * Closed-loop load: `concurrency` loops each await one operation at a time until the time is up.
 * The rate counts operations that completed inside the window.
 */
export interface ClosedLoopResult {
  completed: number;
  rate: number;
  elapsedMs: number;
}

export async function runClosedLoop(concurrency: number, durationMs: number, operation: () => Promise<unknown>): Promise<ClosedLoopResult> {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await operation();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - started;
  return { completed, rate: (completed * 1000) / elapsedMs, elapsedMs };
}

/** Runs a synchronous operation repeatedly for `durationMs`; returns operations per second. */
export function runTightLoop(durationMs: number, operation: (i: number) => unknown): number {
  const started = performance.now();
  let i = 0;
  let sink = 0;
  // Check the clock every 64 calls so reading it does not dominate fast operations.
  while (performance.now() - started < durationMs) {
    for (let k = 0; k < 64; k++) {
      const out = operation(i++);
      if (typeof out === 'string') sink += out.length;
    }
  }
  const rate = (i * 1000) / (performance.now() - started);
  if (sink < 0) throw new Error('unreachable'); // keeps the result alive so the call is not optimised away
  return rate;
}
