import { EndpointHealth } from '../../../src/client/endpoints/health';
import { FakeClock } from '../../support/fakeClock';

const INTERVAL = 5000;

/** Lets resolved checks settle (promise callbacks), without any real waiting. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A health check whose answers the test decides; records when it was called. */
class ScriptedCheck {
  calls: number[] = [];
  healthy = true;
  private pending: Array<(healthy: boolean) => void> = [];
  hold = false;
  signals: AbortSignal[] = [];

  constructor(private readonly clock: FakeClock) {}

  readonly check = (signal: AbortSignal): Promise<boolean> => {
    this.calls.push(this.clock.now());
    this.signals.push(signal);
    if (this.hold) return new Promise((resolve) => this.pending.push(resolve));
    return this.healthy ? Promise.resolve(true) : Promise.reject(new Error('connect ECONNREFUSED'));
  };

  release(healthy: boolean): void {
    for (const resolve of this.pending.splice(0)) resolve(healthy);
  }
}

/** The next periodic check, answering `healthy`, and its outcome settled. */
async function nextCheck(clock: FakeClock, probe: ScriptedCheck, healthy: boolean): Promise<void> {
  probe.healthy = healthy;
  clock.advance(INTERVAL);
  await settle();
}

function setup(): { clock: FakeClock; probe: ScriptedCheck; health: EndpointHealth; changes: Array<[boolean, number]> } {
  const clock = new FakeClock();
  const probe = new ScriptedCheck(clock);
  const health = new EndpointHealth({ check: probe.check, intervalMs: INTERVAL, clock });
  const changes: Array<[boolean, number]> = [];
  health.onChange((online, checks) => changes.push([online, checks]));
  health.start();
  return { clock, probe, health, changes };
}

describe('endpoint health', () => {
  test('online from the start, checked every interval, offline after a failed check, online after a good one', async () => {
    const { clock, probe, health, changes } = setup();
    const start = clock.now();
    expect(health.online).toBe(true);
    expect(probe.calls).toEqual([]);

    clock.advance(INTERVAL);
    await settle();
    expect(probe.calls).toEqual([start + INTERVAL]);
    expect(health.online).toBe(true);

    await nextCheck(clock, probe, false);
    expect(health.online).toBe(false);
    await nextCheck(clock, probe, false);
    expect(health.online).toBe(false);
    await nextCheck(clock, probe, true);
    expect(health.online).toBe(true);
    expect(probe.calls).toHaveLength(4);
    expect(changes).toEqual([[false, 2], [true, 4]]);
    health.close();
  });

  test('a dead endpoint is offline within one interval plus one check, wherever in the interval it died', async () => {
    for (const diedAfter of [1, INTERVAL / 2, INTERVAL - 1]) {
      const { clock, probe, health } = setup();
      clock.advance(diedAfter);
      probe.healthy = false;
      const died = clock.now();
      let offlineAt: number | undefined;
      health.onChange((online) => {
        if (!online) offlineAt = clock.now();
      });
      while (offlineAt === undefined && clock.now() - died <= 2 * INTERVAL) {
        clock.advance(100);
        await settle();
      }
      expect(offlineAt).toBeDefined();
      expect(offlineAt! - died).toBeLessThanOrEqual(INTERVAL);
      health.close();
    }
  });

  test('after a failed call a check runs at once; calls while it runs do not start more', async () => {
    const { clock, probe, health } = setup();
    probe.hold = true;
    health.checkSoon();
    health.checkSoon();
    const joined = health.checkNow();
    expect(probe.calls).toEqual([clock.now()]);
    expect(health.checks).toBe(1);
    probe.release(false);
    await joined;
    expect(health.online).toBe(false);
    health.close();
  });

  test('a check still running when the next is due is not doubled (fixed rate, no overlap)', async () => {
    const { clock, probe, health } = setup();
    probe.hold = true;
    clock.advance(INTERVAL);
    clock.advance(INTERVAL);
    clock.advance(INTERVAL);
    expect(probe.calls).toHaveLength(1);
    probe.release(true);
    await settle();
    clock.advance(INTERVAL);
    expect(probe.calls).toHaveLength(2);
    probe.release(true);
    health.close();
  });

  test('close() stops the timer and aborts a check still running, which then changes nothing', async () => {
    const { clock, probe, health, changes } = setup();
    expect(clock.pending()).toBe(1);
    probe.hold = true;
    const running = health.checkNow();
    expect(probe.signals[0]!.aborted).toBe(false);
    health.close();
    expect(clock.pending()).toBe(0);
    expect(probe.signals[0]!.aborted).toBe(true);
    probe.release(false);
    await running;
    expect(health.online).toBe(true);
    expect(changes).toEqual([]);
    clock.advance(10 * INTERVAL);
    expect(probe.calls).toHaveLength(1);
  });

  test('a watcher that throws does not stop the checks', async () => {
    const { clock, probe, health } = setup();
    health.onChange(() => {
      throw new Error('bug in a watcher');
    });
    await nextCheck(clock, probe, false);
    expect(health.online).toBe(false);
    await nextCheck(clock, probe, true);
    expect(health.online).toBe(true);
    health.close();
  });
});
