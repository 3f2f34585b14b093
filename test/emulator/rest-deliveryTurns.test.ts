/**
 * The emulator's REST deliveries share a turn of the event loop up to a time budget; past it they wait for the
 * check phase, in the order they came, so the server reads, accepts and writes between batches of them.
 * A hand-driven clock: each delivery "takes" the time it adds.
 */
import { DeliveryTurns } from '../../src/emulator/rest/deliveryTurns';

function turnsOnClock(budgetMs: number): { turns: DeliveryTurns; clock: { now: number } } {
  const clock = { now: 0 };
  return { turns: new DeliveryTurns({ budgetMs, now: () => clock.now }), clock };
}

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('within the budget a delivery runs at once, in the caller', () => {
  const { turns, clock } = turnsOnClock(8);
  const ran: string[] = [];
  turns.run(() => {
    ran.push('a');
    clock.now += 3;
  });
  turns.run(() => ran.push('b'));
  expect(ran).toEqual(['a', 'b']);
});

test('past the budget deliveries wait for the check phase, in order, and calls that come meanwhile queue behind them', async () => {
  const { turns, clock } = turnsOnClock(8);
  const ran: string[] = [];
  const slow = (name: string) => () => {
    ran.push(name);
    clock.now += 5;
  };
  turns.run(slow('a'));
  turns.run(slow('b')); // 5 ms into the turn: still within 8
  turns.run(slow('c')); // 10 ms: waits
  expect(ran).toEqual(['a', 'b']);
  clock.now += 100; // a fresh budget would let the next run at once, but one is waiting: it queues behind
  turns.run(slow('d'));
  expect(ran).toEqual(['a', 'b']);
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'b', 'c', 'd']); // 5 + 5 ms: d started at 5, within the check phase's 8
});

test('the check phase runs waiting deliveries for one budget, then leaves the rest for after the next turn', async () => {
  const { turns, clock } = turnsOnClock(8);
  const ran: number[] = [];
  for (let i = 0; i < 6; i++) {
    turns.run(() => {
      ran.push(i);
      clock.now += 5;
    });
  }
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
  turns.run(() => ran.push(6));
  expect(ran.at(-1)).toBe(6);
});

test('a queued delivery that throws is reported, and the ones behind it still run, then the next turn starts fresh', async () => {
  const clock = { now: 0 };
  const errors: unknown[] = [];
  const turns = new DeliveryTurns({ budgetMs: 8, now: () => clock.now, onError: (error) => errors.push(error) });
  const ran: string[] = [];
  turns.run(() => {
    ran.push('a');
    clock.now += 10;
  });
  turns.run(() => {
    throw new Error('broken');
  });
  turns.run(() => ran.push('c'));
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'c']);
  expect(errors).toEqual([new Error('broken')]);
  turns.run(() => ran.push('d'));
  expect(ran).toEqual(['a', 'c', 'd']);
});

test('once the check phase empties the queue, a delivery in the next turn runs at once, after every earlier one', async () => {
  const { turns, clock } = turnsOnClock(8);
  const ran: string[] = [];
  turns.run(() => {
    ran.push('a');
    clock.now += 10;
  });
  turns.run(() => ran.push('b'));
  await nextCheckPhase();
  expect(ran).toEqual(['a', 'b']);
  turns.run(() => ran.push('c'));
  expect(ran).toEqual(['a', 'b', 'c']);
});
