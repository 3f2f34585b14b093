/**
 * host.json's HTTP throttles in the local host, as the Functions host applies them: maxConcurrentRequests run at
 * once, the next ones wait in order, and past maxOutstandingRequests a request is refused at once with 429.
 * With dynamicThrottlesEnabled, a host whose event loop runs late refuses with 429 until it has caught up.
 */
import * as http from 'http';
import * as path from 'path';
import { RequestAdmission } from '../../src/localhost/admission';
import { EventLoopBusyMonitor } from '../../src/localhost/busyMonitor';
import { KEEP_ALIVE_TIMEOUT_MS, startLocalHost, type LocalHost } from '../../src/localhost/host';

jest.mock('@azure/functions-core', () => jest.requireActual('../../src/localhost/functionsCore').functionsCore, { virtual: true });

const holds = (): Array<() => void> => (globalThis as { fixtureHolds?: Array<() => void> }).fixtureHolds ?? [];

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the local host with host.json throttles (1 running, 2 held)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startLocalHost({ projectRoot: path.join(__dirname, '..', 'fixtures', 'localhost', 'throttled'), port: 0, logWriter: () => undefined });
  });
  afterAll(async () => {
    for (const release of holds().splice(0)) release();
    await host.close();
  });

  it('runs one, queues one, and refuses the third at once with 429 and Retry-After; the queued one runs next', async () => {
    const first = fetch(`${host.url}/api/hold?n=1`);
    await until(() => holds().length === 1);
    const second = fetch(`${host.url}/api/hold?n=2`);
    await until(() => host.outstandingRequests() === 2);
    // The third is answered while the first two are still held: it never waited for them.
    const third = await fetch(`${host.url}/api/hold?n=3`);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(await third.json()).toMatchObject({ error: { code: 'TooManyRequests', message: expect.stringMatching(/maxOutstandingRequests/) } });
    expect(holds()).toHaveLength(1); // the second waits for a slot, it has not started
    holds().shift()!();
    expect(await (await first).text()).toBe('done 1');
    await until(() => holds().length === 1);
    holds().shift()!();
    expect(await (await second).text()).toBe('done 2');
  });

  it("keeps a caller's idle connection open as long as Kestrel does (130 s), not Node's 5 s", async () => {
    // A caller that lost its connections reconnects when load rises, and a busy host accepts slowly.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const keepAlive = await new Promise<string>((resolve, reject) => {
        http.get(`${host.url}/api/hold-missing`, { agent }, (res) => {
          res.resume();
          resolve(String(res.headers['keep-alive']));
        }).on('error', reject);
      });
      expect(KEEP_ALIVE_TIMEOUT_MS).toBe(130_000);
      expect(keepAlive).toBe('timeout=130');
    } finally {
      agent.destroy();
    }
  });
});

describe('the local host with host.json dynamicThrottlesEnabled', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startLocalHost({ projectRoot: path.join(__dirname, '..', 'fixtures', 'localhost', 'busy'), port: 0, logWriter: () => undefined });
  });
  afterAll(async () => {
    await host.close();
  });

  it('answers after one long pause, refuses with 429 while the loop stays behind, and answers again once it caught up', async () => {
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
    // The host runs in this process: while a function spins, nothing else runs. One long block is not overload.
    expect(await (await fetch(`${host.url}/api/spin?ms=600`)).text()).toBe('spun');
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
    // Blocks of 100 ms with only timers between them: the loop stays behind, and a call arriving then is refused.
    const spinning = fetch(`${host.url}/api/spin?ms=100&chunks=12`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = await fetch(`${host.url}/api/ping`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'TooManyRequests', message: expect.stringMatching(/too busy.*dynamicThrottlesEnabled/) } });
    expect(await (await spinning).text()).toBe('spun');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
  });
});

describe('EventLoopBusyMonitor', () => {
  const spin = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy on purpose
    }
  };
  const nextTimers = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

  it('is too busy after three late samples in a row, not after one long pause, and not once a sample is on time', async () => {
    const monitor = new EventLoopBusyMonitor(50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(monitor.tooBusy()).toBe(false);
      spin(500); // one long pause: a garbage collection, a module loaded on first use
      await nextTimers();
      expect(monitor.lagMs).toBeGreaterThan(400);
      expect(monitor.tooBusy()).toBe(false);
      for (let i = 0; i < 3; i++) {
        spin(100);
        await nextTimers();
      }
      expect(monitor.tooBusy()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(monitor.tooBusy()).toBe(false);
    } finally {
      monitor.close();
    }
  });
});

describe('RequestAdmission', () => {
  it('admits up to the concurrency, queues first come first served up to the outstanding bound, then refuses', async () => {
    const admission = new RequestAdmission(2, 3);
    const a = admission.enter();
    const b = admission.enter();
    const c = admission.enter();
    expect([a.kind, b.kind, c.kind]).toEqual(['admitted', 'admitted', 'waiting']);
    expect(admission.enter().kind).toBe('refused');
    if (a.kind !== 'admitted' || c.kind !== 'waiting') throw new Error('unexpected');
    a.release();
    a.release(); // releasing twice frees one slot only
    const releaseC = await c.admitted;
    expect(admission.outstanding).toBe(2);
    expect(admission.enter().kind).toBe('waiting');
    releaseC();
  });

  it('is unbounded when host.json sets nothing', () => {
    const admission = new RequestAdmission();
    for (let i = 0; i < 1000; i++) expect(admission.enter().kind).toBe('admitted');
  });
});
