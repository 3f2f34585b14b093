/**
 * The emulator's REST deliveries share a turn of the event loop up to a time budget; past it they wait for the
 * check phase, in the order they came, so the server reads, accepts and writes between batches of them.
 * A hand-driven clock: each delivery "takes" the time it adds.
 */
import { DeliveryTurns } from '../../src/emulator/rest/deliveryTurns';

function turnsOnClock(budgetMs: number): { turns: DeliveryTurns; clock: { now: number }; ran: Array<string | number> } {
  const clock = { now: 0 };
  return { turns: new DeliveryTurns({ budgetMs, now: () => clock.now }), clock, ran: [] };
}

/** A delivery that records `name` in `ran` and takes `ms` on the hand clock. */
function delivery(setup: { clock: { now: number }; ran: Array<string | number> }, name: string | number, ms = 0): () => void {
  return () => {
    setup.ran.push(name);
    setup.clock.now += ms;
  };
}

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('within the budget a delivery runs at once, in the caller', () => {
  const setup = turnsOnClock(8);
  void setup.turns.run(delivery(setup, 'a', 3));
  void setup.turns.run(delivery(setup, 'b'));
  expect(setup.ran).toEqual(['a', 'b']);
});

test('past the budget deliveries wait for the check phase, in order, and calls that come meanwhile queue behind them', async () => {
  const setup = turnsOnClock(8);
  const { turns, clock, ran } = setup;
  void turns.run(delivery(setup, 'a', 5));
  void turns.run(delivery(setup, 'b', 5)); // 5 ms into the turn: still within 8
  void turns.run(delivery(setup, 'c', 5)); // 10 ms: waits
  expect(ran).toEqual(['a', 'b']);
  clock.now += 100; // a fresh budget would let the next run at once, but one is waiting: it queues behind
  void turns.run(delivery(setup, 'd', 5));
  expect(ran).toEqual(['a', 'b']);
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'b', 'c', 'd']); // 5 + 5 ms: d started at 5, within the check phase's 8
});

test('the check phase runs waiting deliveries for one budget, then leaves the rest for after the next turn', async () => {
  const setup = turnsOnClock(8);
  const { turns, ran } = setup;
  for (let i = 0; i < 6; i++) void turns.run(delivery(setup, i, 5));
  expect(ran).toEqual([0, 1]);
  let ioBetween = false;
  setImmediate(() => {
    // Scheduled before the drain's own follow-up: stands for the next turn's I/O.
    ioBetween = ran.length < 6;
  });
  await nextCheckPhase();
  expect(ran).toEqual([0, 1, 2, 3]);
  await nextCheckPhase();
  await nextCheckPhase();
  expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
  expect(ioBetween).toBe(true);
  // Once nothing waits, the next turn starts with a fresh budget.
  void turns.run(delivery(setup, 6));
  expect(ran.at(-1)).toBe(6);
});

test('each call gets what its delivery returned, at once or from the check phase', async () => {
  const setup = turnsOnClock(8);
  const first = setup.turns.run(() => {
    setup.clock.now += 10;
    return 'first';
  });
  const second = setup.turns.run(() => 'second');
  await expect(first).resolves.toBe('first');
  await expect(second).resolves.toBe('second');
});

test('a queued delivery that throws rejects its own call, and the ones behind it still run, then the next turn starts fresh', async () => {
  const setup = turnsOnClock(8);
  const { turns, ran } = setup;
  void turns.run(delivery(setup, 'a', 10));
  const broken = turns
    .run(() => {
      throw new Error('broken');
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  void turns.run(delivery(setup, 'c'));
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'c']);
  expect(await broken).toEqual(new Error('broken'));
  void turns.run(delivery(setup, 'd'));
  expect(ran).toEqual(['a', 'c', 'd']);
});

test('once the check phase empties the queue, a delivery in the next turn runs at once, after every earlier one', async () => {
  const setup = turnsOnClock(8);
  const { turns, ran } = setup;
  void turns.run(delivery(setup, 'a', 10));
  void turns.run(delivery(setup, 'b'));
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'b']);
  void turns.run(delivery(setup, 'c'));
  expect(ran).toEqual(['a', 'b', 'c']);
});
