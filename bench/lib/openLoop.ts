/**
 * Open-loop load: calls start on a fixed schedule (`ratePerSecond`), whatever the answers do, so a slow server
 * shows as latency and queueing instead of slowing the load down (as a closed loop would hide it).
 */

/**
 * Starts `count` calls at `ratePerSecond`; resolves once every call has been started and has settled. Each call
 * gets the time it was due: measuring from there, not from when the timer got round to it, keeps a busy load
 * process from hiding the queueing it causes (coordinated omission).
 */
export async function runOpenLoop(ratePerSecond: number, count: number, start: (index: number, dueAt: number) => Promise<void>): Promise<void> {
  const calls: Array<Promise<void>> = [];
  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(count, Math.floor(((performance.now() - started) * ratePerSecond) / 1000) + 1);
      while (next < due) {
        const index = next++;
        calls.push(start(index, started + (index * 1000) / ratePerSecond));
      }
      if (next >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(calls);
}

/** The p-th percentile (nearest rank) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
