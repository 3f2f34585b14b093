/**
 * `sendMessage` under kept-alive connections closed by something between the app and the service, as load
 * balancers do (the fault proxy's connection faults): each call goes function -> output adapter -> REST client ->
 * proxy -> emulator, and a listener counts what arrives. Every accepted message must arrive exactly once and no
 * call may fail, because every request those closes break is one the service never read:
 * - close-on-reuse: half the requests that arrive on a reused connection meet it closed (the race a client loses
 *   when the server closes the idle connection it reuses), with FIN or RST;
 * - close-idle: connections idle for a random 0.1-0.6 s are closed while senders pause a random 0-0.7 s.
 * The same runs, sized differently, in `npm test` and `npm run test:load` (keepAliveSuite).
 *
 * What is observed, and where: resets and the requests each call took come from Node's own HTTP client
 * (HttpClientObserver), deliveries from the listener, the call's result from the function's answer. Every reset a
 * call met is a fault; it counts as survived when its call recovered with exactly one delivery.
 */
import { FaultLedger, RECOVERED } from '../support/faultLedger';
import type { ConnectionFault } from '../support/faultProxy';
import { HttpClientObserver } from '../support/httpClientObserver';
import { FigureRecorder } from '../support/reliabilityFigures';
import { runPool, sleep } from './support';
import { startSendMessageRig, type SendMessageRig, type SentMessage } from './sendMessageRig';

export interface KeepAliveRun {
  /** sendMessage calls made. */
  calls: number;
  /** Requests whose kept-alive connection was closed under them, as Node's HTTP client reported them. */
  resetsSeen: number;
  /** Requests beyond the first of each call (the resends on a fresh connection). */
  resends: number;
  /** Calls that did not answer 202. */
  failures: number;
  /** Arrivals at the listener of the messages these calls sent. */
  delivered: number;
  /** Accepted messages that never arrived, and messages that arrived twice. */
  lost: number;
  duplicated: number;
  /** Faults the proxy counted (close-on-reuse) and idle connections it closed. */
  proxyFaults: number;
  idleConnectionsClosed: number;
}

export interface KeepAliveRunOptions {
  fault: Exclude<ConnectionFault, { kind: 'none' }>;
  calls: number;
  concurrency: number;
  /** Pause of each sender between two calls (idle time for the connection it used). */
  pauseMs: () => number;
}

/** Runs the calls under `fault`, settles every reset with the ledger, and returns what was observed. */
export async function sendUnderConnectionFault(rig: SendMessageRig, ledger: FaultLedger, options: KeepAliveRunOptions): Promise<KeepAliveRun> {
  const observer = new HttpClientObserver(rig.proxy.port);
  const sent: Array<{ tag: string; message: SentMessage }> = [];
  rig.proxy.drainFaults();
  rig.proxy.resetStats();
  rig.proxy.setConnectionFault(options.fault);
  try {
    await runPool(options.calls, options.concurrency, async (i) => {
      const tag = `call-${i}`;
      sent.push({ tag, message: await observer.track(tag, () => rig.sendNumbered()) });
      await sleep(options.pauseMs());
    });
  } finally {
    rig.proxy.setConnectionFault({ kind: 'none' });
    observer.close();
  }
  const accepted = sent.filter((s) => s.message.result.status === 202);
  const last = Math.max(...accepted.map((s) => s.message.seq));
  // Messages to one connection keep their order, but the calls ran side by side: wait for every accepted one.
  await rig.waitForArrival(last, 'the last accepted message').catch(() => undefined);
  await sleep(200); // a duplicate would show up now

  const run: KeepAliveRun = { calls: sent.length, resetsSeen: 0, resends: 0, failures: 0, delivered: 0, lost: 0, duplicated: 0, proxyFaults: 0, idleConnectionsClosed: rig.proxy.stats.idleConnectionsClosed };
  for (const { tag, message } of sent) {
    const outcome = rig.outcomeOf(message);
    const resets = observer.resetsOf(tag);
    run.resetsSeen += resets;
    run.resends += observer.requestsOf(tag).length - 1;
    run.delivered += outcome.deliveries;
    if (outcome.result === 'failed') run.failures += 1;
    if (outcome.result === 'recovered' && outcome.deliveries === 0) run.lost += 1;
    if (outcome.deliveries > 1) run.duplicated += 1;
    if (resets > 0) ledger.settle(RECOVERED, outcome, { [options.fault.kind]: resets });
  }
  run.proxyFaults = Object.values(rig.proxy.drainFaults()).reduce((sum, n) => sum + n, 0);
  return run;
}

/** Writes a run's figures under `name` (details of the reliability figures file) and prints them. */
export function recordKeepAliveRun(figures: FigureRecorder, name: string, run: KeepAliveRun): void {
  for (const [key, value] of Object.entries(run)) figures.detail(`keepAlive.${name}.${key}`, value);
  figures.add('messagesSent', run.calls);
  figures.add('messagesReceived', run.delivered);
  figures.add('messagesLost', run.lost);
  process.stdout.write(`[keep-alive ${name}] ${JSON.stringify(run)}\n`);
}

export interface KeepAliveSuiteOptions {
  /** Name of the figures part. */
  suite: string;
  closeOnReuse: { calls: number; concurrency: number };
  closeIdle: { calls: number; concurrency: number };
  restTimeoutMs: number;
}

/** Declares the two runs as jest tests, on one rig, with their figures saved under `suite`. */
export function keepAliveSuite(options: KeepAliveSuiteOptions): void {
  const figures = new FigureRecorder(options.suite);
  const ledger = new FaultLedger(figures);
  let rig: SendMessageRig;

  beforeAll(async () => {
    rig = await startSendMessageRig({ accessKey: 'KeepAliveFaultKey0123456789ABCDEFGHIJKLMNO', restTimeoutMs: options.restTimeoutMs });
  });

  afterAll(async () => {
    await rig.close();
    figures.save();
  });

  describe('sendMessage over kept-alive connections a load balancer closes', () => {
    const { closeOnReuse, closeIdle } = options;
    it(`closed as they are reused (half of them): ${closeOnReuse.calls} calls, none fails, every message once`, async () => {
      const run = await sendUnderConnectionFault(rig, ledger, { fault: { kind: 'close-on-reuse', probability: 0.5 }, ...closeOnReuse, pauseMs: () => 0 });
      recordKeepAliveRun(figures, 'closeOnReuse', run);
      expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
      // Half the reused requests are closed: with these many calls there are always some. Each one the proxy closed
      // is one reset Node's client saw, and one resend.
      expect(run.resetsSeen).toBeGreaterThan(0);
      expect(run.resetsSeen).toBe(run.proxyFaults);
      expect(run.resends).toBe(run.resetsSeen);
    });

    it(`closed after a random 0.1-0.6 s idle: ${closeIdle.calls} calls from ${closeIdle.concurrency} senders pausing 0-0.7 s, none fails, every message once`, async () => {
      const run = await sendUnderConnectionFault(rig, ledger, { fault: { kind: 'close-idle', minIdleMs: 100, maxIdleMs: 600 }, ...closeIdle, pauseMs: () => Math.random() * 700 });
      recordKeepAliveRun(figures, 'closeIdle', run);
      expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
      expect(run.resends).toBe(run.resetsSeen);
      // How often a close meets a reuse depends on timing: 33 and 8 resets in long runs here (2,400 calls) while other
      // processes kept the CPU busy (timers then fire together), none in one on a quieter machine. So it is reported,
      // not required; the close-on-reuse run meets the same race every time.
      expect(run.idleConnectionsClosed).toBeGreaterThan(0);
    });
  });
}
