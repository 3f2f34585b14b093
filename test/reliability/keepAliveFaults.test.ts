/**
 * `sendMessage` while something between the app and the service closes kept-alive connections (run and observed
 * as keepAliveFaults.ts describes): every accepted message must arrive exactly once and no call may fail, because
 * every request those closes break is one the service never read.
 * - close-on-reuse: half the requests that arrive on a reused connection meet it closed (the race a client
 *   loses when the server closes the idle connection it reuses), with FIN or RST;
 * - close-idle: connections idle for a random 0.1-0.6 s are closed, while eight senders pause a random 0-0.7 s
 *   between calls (the long run is in `npm run test:load`).
 */
import { FigureRecorder } from '../support/reliabilityFigures';
import { FaultLedger } from '../support/faultLedger';
import { startSendMessageRig, type SendMessageRig } from './sendMessageRig';
import { recordKeepAliveRun, sendUnderConnectionFault } from './keepAliveFaults';

const figures = new FigureRecorder('keep-alive-faults');
const ledger = new FaultLedger(figures);
let rig: SendMessageRig;

beforeAll(async () => {
  rig = await startSendMessageRig({ accessKey: 'KeepAliveFaultKey0123456789ABCDEFGHIJKLMNO', restTimeoutMs: 5_000 });
});

afterAll(async () => {
  await rig.close();
  figures.save();
});

describe('sendMessage over kept-alive connections a load balancer closes', () => {
  it('closed as they are reused: every request that met it is resent once, every message arrives once', async () => {
    const run = await sendUnderConnectionFault(rig, ledger, { fault: { kind: 'close-on-reuse', probability: 0.5 }, calls: 300, concurrency: 4, pauseMs: () => 0 });
    recordKeepAliveRun(figures, 'closeOnReuse', run);
    expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
    // Half the reused requests are closed: with 300 calls on 4 connections there are always some. Each one the
    // proxy closed is one reset Node's client saw, and one resend.
    expect(run.resetsSeen).toBeGreaterThan(0);
    expect(run.resetsSeen).toBe(run.proxyFaults);
    expect(run.resends).toBe(run.resetsSeen);
  });

  it('closed after a random 0.1-0.6 s idle: no call fails, every message arrives once', async () => {
    const run = await sendUnderConnectionFault(rig, ledger, {
      fault: { kind: 'close-idle', minIdleMs: 100, maxIdleMs: 600 },
      calls: 200,
      concurrency: 8,
      pauseMs: () => Math.random() * 700,
    });
    recordKeepAliveRun(figures, 'closeIdle', run);
    expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
    expect(run.resends).toBe(run.resetsSeen);
    expect(run.idleConnectionsClosed).toBeGreaterThan(0);
  });
});
