/**
 * The long run of the kept-alive connection faults (`npm run test:load`; the quick one is in `npm test`, see
 * test/reliability/keepAliveFaults.ts for what is run and observed). Long enough that the idle-close race, which
 * hits about one call in a few hundred, happens many times: the run fails if it never does, so it cannot pass
 * without testing what it claims.
 */
import { FigureRecorder } from '../../support/reliabilityFigures';
import { FaultLedger } from '../../support/faultLedger';
import { startSendMessageRig, type SendMessageRig } from '../sendMessageRig';
import { recordKeepAliveRun, sendUnderConnectionFault } from '../keepAliveFaults';

const figures = new FigureRecorder('keep-alive-load');
const ledger = new FaultLedger(figures);
let rig: SendMessageRig;

beforeAll(async () => {
  rig = await startSendMessageRig({ accessKey: 'KeepAliveLoadKey0123456789ABCDEFGHIJKLMNOP', restTimeoutMs: 10_000 });
});

afterAll(async () => {
  await rig.close();
  figures.save();
});

describe('sendMessage over kept-alive connections a load balancer closes, long run', () => {
  it('closed as they are reused (half of them): 2,000 calls, none fails, every message once', async () => {
    const run = await sendUnderConnectionFault(rig, ledger, { fault: { kind: 'close-on-reuse', probability: 0.5 }, calls: 2_000, concurrency: 8, pauseMs: () => 0 });
    recordKeepAliveRun(figures, 'closeOnReuse', run);
    expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
    expect(run.resetsSeen).toBeGreaterThan(0);
    expect(run.resetsSeen).toBe(run.proxyFaults);
    expect(run.resends).toBe(run.resetsSeen);
  });

  it('closed after a random 0.1-0.6 s idle: 2,400 calls from 16 senders pausing 0-0.7 s, none fails, every message once', async () => {
    const run = await sendUnderConnectionFault(rig, ledger, {
      fault: { kind: 'close-idle', minIdleMs: 100, maxIdleMs: 600 },
      calls: 2_400,
      concurrency: 16,
      pauseMs: () => Math.random() * 700,
    });
    recordKeepAliveRun(figures, 'closeIdle', run);
    expect(run).toMatchObject({ failures: 0, lost: 0, duplicated: 0, delivered: run.calls });
    expect(run.resetsSeen).toBeGreaterThan(0);
    expect(run.resends).toBe(run.resetsSeen);
  });
});
