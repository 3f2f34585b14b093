/**
 * The in-flight bound that follows the service: fixed while calls are fast, lowered by Little's law while calls
 * queue at the service (on their smoothed time), raised back one per call once they are fast again and one per
 * round while they queue within the aim. On a hand-driven clock.
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

/** `count` calls that start together and are all answered `ms` later. */
function callsAnsweredAfter(limit: AdaptiveInFlightLimit, clock: { now: number }, count: number, ms: number): void {
  const permits = acquireAll(limit, count);
  clock.now += ms;
  for (const permit of permits) limit.release(permit);
}

test('while calls are fast the bound stays at max, and one call past it is refused', () => {
  const { limit, clock } = limitOnClock({ max: 8 });
  const permits = acquireAll(limit, 8);
  expect(limit.tryAcquire()).toBeUndefined();
  clock.now += 20;
  for (const permit of permits) limit.release(permit);
  expect(limit.state).toEqual({ inFlight: 0, limit: 8, max: 8 });
});

test('one stalled call (a GC pause, a cold start) moves nothing', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 200);
  clock.now += 2000;
  limit.release(permits[0]!); // smoothed: 10 + (2000 - 10) / 10 = 209 ms, under 250
  expect(limit.state).toEqual({ inFlight: 199, limit: 256, max: 256 });
});

test('calls slow on average with many in flight lower the bound to what the service completes within the aim (Little)', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 200);
  clock.now += 1000;
  limit.release(permits[0]!); // smoothed 109
  limit.release(permits[1]!); // 198.1
  expect(limit.state.limit).toBe(256);
  limit.release(permits[2]!); // 278.29 > 250, with 198 in flight: 198 x 125 / 278.29 = 88.9
  expect(limit.state).toEqual({ inFlight: 197, limit: 88, max: 256, slowAverageMs: expect.closeTo(278.29, 2) });
  expect(limit.tryAcquire()).toBeUndefined();
});

test('slow calls that started before the lowering do not lower it again; one that started after does', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  const permits = acquireAll(limit, 200);
  clock.now += 1000;
  for (const permit of permits.slice(0, 3)) limit.release(permit);
  expect(limit.state.limit).toBe(88);
  for (const permit of permits.slice(3)) limit.release(permit); // the queue that lowering already answered
  expect(limit.state.limit).toBe(88);
  const later = acquireAll(limit, 30);
  clock.now += 600;
  limit.release(later[0]!); // still slow on average, 30 in flight: 30 x 125 / ~960 = 3, but never below min
  expect(limit.state.limit).toBe(16);
});

test('with fewer than min calls in flight slow calls are not our queue: the bound stays', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  for (let round = 0; round < 5; round++) callsAnsweredAfter(limit, clock, 15, 2000);
  expect(limit.state).toEqual({ inFlight: 0, limit: 256, max: 256 });
});

test('once calls are fast again (within 1.5x the fastest), each raises the bound by one, up to max: doubling per round', () => {
  const { limit, clock } = limitOnClock({ max: 40, min: 16, slowCallMs: 250 });
  callsAnsweredAfter(limit, clock, 40, 1000);
  expect(limit.state.limit).toBe(17); // lowered at the third: 38 x 125 / 278.29
  const seen: number[] = [];
  for (let i = 0; i < 40; i++) {
    const permit = limit.tryAcquire()!;
    clock.now += 12; // the fastest call took 10 ms: no queue
    limit.release(permit);
    seen.push(limit.state.limit);
  }
  // The average needs a few fast calls to come down under 250 ms; from then on, one more per call.
  expect(seen[0]).toBe(17);
  expect(seen.every((value, i) => i === 0 || value === Math.min(40, seen[i - 1]! + 1) || value === seen[i - 1])).toBe(true);
  expect(limit.state).toEqual({ inFlight: 0, limit: 40, max: 40 });
});

/** Calls one at a time (fewer than min in flight, so nothing is lowered), each answered `ms` later. */
function callsOneByOne(limit: AdaptiveInFlightLimit, clock: { now: number }, count: number, ms: number): void {
  for (let i = 0; i < count; i++) callsAnsweredAfter(limit, clock, 1, ms);
}

/** Rounds of the whole bound in flight, every call answered `ms` later; the bound after each round. */
function boundsOverRounds(limit: AdaptiveInFlightLimit, clock: { now: number }, rounds: number, ms: number): number[] {
  const bounds = [limit.state.limit];
  for (let round = 0; round < rounds; round++) {
    callsAnsweredAfter(limit, clock, limit.state.limit, ms);
    bounds.push(limit.state.limit);
  }
  return bounds;
}

test('calls within the aim but queueing raise the bound by one per round, so it settles near the aim instead of overshooting', () => {
  const { limit, clock } = limitOnClock({ max: 256, min: 16, slowCallMs: 250 });
  callsAnsweredAfter(limit, clock, 200, 1000);
  expect(limit.state.limit).toBe(88);
  // One at a time, so nothing is lowered: the average (near 1,000 ms after the 200) comes under 250 ms. 100 ms is
  // within the aim (125 ms) and past 1.5 x the fastest call (10 ms): a queue, but a short one.
  callsOneByOne(limit, clock, 20, 100);
  const bounds = boundsOverRounds(limit, clock, 10, 100);
  expect(bounds[0]).toBe(88);
  // One more per round; doubling per round would have reached max (256) within two rounds.
  expect(bounds).toEqual([88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98]);
});

test('a far-away endpoint whose every call takes 300 ms is not taken for a congested one', () => {
  const clock = { now: 0 };
  const limit = new AdaptiveInFlightLimit({ max: 64, min: 16, slowCallMs: 250, now: () => clock.now });
  const alone = limit.tryAcquire()!; // its first call, alone: 300 ms is this endpoint's usual time
  clock.now += 300;
  limit.release(alone);
  for (let round = 0; round < 5; round++) callsAnsweredAfter(limit, clock, 64, 300);
  expect(limit.state.limit).toBe(64);
  // Calls over four times its usual time are slow, though.
  callsAnsweredAfter(limit, clock, 64, 1300);
  expect(limit.state.limit).toBeLessThan(64);
});

test('a far-away endpoint gets the same two speeds back: one per call near its usual time, one per round nearer its aim', () => {
  const clock = { now: 0 };
  const limit = new AdaptiveInFlightLimit({ max: 256, min: 16, slowCallMs: 250, now: () => clock.now });
  callsAnsweredAfter(limit, clock, 1, 300); // its usual time: slow past 1,200 ms, aim 600 ms
  callsAnsweredAfter(limit, clock, 200, 3000);
  expect(limit.state.limit).toBe(96); // lowered at the fourth: 197 x 600 / 1,229
  callsOneByOne(limit, clock, 20, 300); // the average back under 1,200 ms
  const creeping = boundsOverRounds(limit, clock, 3, 550); // within the aim, past 1.5 x 300 ms
  expect(creeping.slice(1).map((value, i) => value - creeping[i]!)).toEqual([1, 1, 1]);
  const doubling = boundsOverRounds(limit, clock, 2, 400); // within 1.5 x 300 ms: no queue
  expect(doubling[1]).toBe(2 * doubling[0]!);
  expect(doubling[2]).toBe(Math.min(256, 2 * doubling[1]!));
});

test('max below the default min keeps the bound fixed', () => {
  const { limit, clock } = limitOnClock({ max: 2 });
  for (let round = 0; round < 20; round++) callsAnsweredAfter(limit, clock, 2, 5000);
  expect(limit.state.limit).toBe(2);
});
