/**
 * The in-flight bound that follows the service: fixed while calls are fast, lowered by Little's law while calls
 * queue at the service, raised back one call at a time once they are fast again. On a hand-driven clock.
 */
import { AdaptiveInFlightLimit, type InFlightPermit } from '../../../src/client/rest/inFlightLimit';

/** A limit that has seen one 10 ms call: the service's usual time, against which slow calls are told apart. */
function limitOnClock(options: { max: number; min?: number; slowCallMs?: number }): { limit: AdaptiveInFlightLimit; clock: { now: number } } {
  const clock = { now: 0 };
  const limit = new AdaptiveInFlightLimit({ ...options, now: () => clock.now });
  const first = limit.tryAcquire()!;
  clock.now += 10;
  limit.release(first);
  return { limit, clock };
}

function acquireAll(limit: AdaptiveInFlightLimit, count: number): InFlightPermit[] {
  return Array.from({ length: count }, () => {
    const permit = limit.tryAcquire();
    if (permit === undefined) throw new Error('refused');
    return permit;
  });
}

test('while calls are fast the bound stays at max, and one call past it is refused', () => {
  const { limit, clock } = limitOnClock({ max: 8 });
  const permits = acquireAll(limit, 8);
  expect(limit.tryAcquire()).toBeUndefined();
  clock.now += 20;
  for (const permit of permits) limit.release(permit);
  expect(limit.state).toEqual({ inFlight: 0, limit: 8, max: 8 });
});

test('a slow call with many in flight lowers the bound to what the service completes within the aim (Little)', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 200);
  clock.now += 1000;
  // 200 in flight, answered after 1 s: the service completes ~200/s; within the aim (125 ms): 25.
  limit.release(permits[0]!);
  expect(limit.state).toEqual({ inFlight: 199, limit: 25, max: 256, lastSlowCallMs: 1000 });
  expect(limit.tryAcquire()).toBeUndefined();
});

test('slow calls that started before the lowering do not lower it again; one that started after does', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 100);
  clock.now += 500;
  limit.release(permits[0]!); // 100 x 125 / 500 = 25
  expect(limit.state.limit).toBe(25);
  clock.now += 500;
  for (const permit of permits.slice(1, 90)) limit.release(permit); // started before: the queue already answered
  expect(limit.state.limit).toBe(25);
  const later = acquireAll(limit, 14); // 10 + 14 = 24 in flight
  clock.now += 600;
  limit.release(later[0]!); // 24 x 125 / 600 = 5, but never below min
  expect(limit.state.limit).toBe(16);
});

test('with fewer than min calls in flight a slow call is not our queue: the bound stays', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 15);
  clock.now += 2000;
  for (const permit of permits) limit.release(permit);
  expect(limit.state).toEqual({ inFlight: 0, limit: 256, max: 256 });
});

test('fast calls raise a lowered bound by one each, up to max', () => {
  const { limit, clock } = limitOnClock({ max: 40, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 40);
  clock.now += 1000;
  limit.release(permits[0]!); // 40 x 125 / 1000 = 5 -> min 16
  expect(limit.state.limit).toBe(16);
  for (const permit of permits.slice(1)) limit.release(permit); // slow, but started before the lowering
  for (let i = 0; i < 10; i++) {
    const permit = limit.tryAcquire()!;
    clock.now += 100; // within the aim
    limit.release(permit);
  }
  expect(limit.state.limit).toBe(26);
  for (let i = 0; i < 30; i++) limit.release(limit.tryAcquire()!);
  expect(limit.state).toEqual({ inFlight: 0, limit: 40, max: 40 });
});

test('a far-away endpoint whose every call takes 300 ms is not taken for a congested one', () => {
  const clock = { now: 0 };
  const limit = new AdaptiveInFlightLimit({ max: 64, min: 16, slowCallMs: 250, now: () => clock.now });
  const alone = limit.tryAcquire()!; // its first call, alone: 300 ms is this endpoint's usual time
  clock.now += 300;
  limit.release(alone);
  for (let round = 0; round < 5; round++) {
    const permits = acquireAll(limit, 64);
    clock.now += 300;
    for (const permit of permits) limit.release(permit);
  }
  expect(limit.state.limit).toBe(64);
  // Four times its usual time is slow, though.
  const permits = acquireAll(limit, 64);
  clock.now += 1300;
  limit.release(permits[0]!);
  expect(limit.state.limit).toBeLessThan(64);
});

test('max below the default min keeps the bound fixed', () => {
  const { limit, clock } = limitOnClock({ max: 2 });
  const permits = acquireAll(limit, 2);
  clock.now += 5000;
  limit.release(permits[0]!);
  expect(limit.state.limit).toBe(2);
});
