/**
 * The functions while the service misbehaves: the app talks to the real emulator through the fault
 * proxy, a real client listens on the emulator. While the service is down the function answers a clear
 * JSON 503 (unreachable) or 504 (no answer in time), never a crash or a stack trace; a send whose
 * connection broke after the service accepted it is not repeated; when the fault clears the very same
 * function instance works again. Every fault is settled with the outcome it must lead to, observed at the
 * listener (test/support/faultLedger.ts).
 */
import { callFunction, appErrorOf, type FunctionResult } from './support';
import { startSendMessageRig, type SendMessageRig, type SentMessage } from './sendMessageRig';
import { FigureRecorder } from '../support/reliabilityFigures';
import { FaultLedger, failedWith, RECOVERED, type Outcome } from '../support/faultLedger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { addToGroupOptions } = require('../../functions/addToGroup') as typeof import('../../functions/addToGroup');

const ACCESS_KEY = 'FunctionFaultKey0123456789ABCDEFGHIJKLMNOPQ';
const figures = new FigureRecorder('function-faults');
const ledger = new FaultLedger(figures);

let rig: SendMessageRig;

function expectCleanError(result: FunctionResult): void {
  const everything = JSON.stringify(result.jsonBody) + result.logs.join('\n');
  expect(everything).not.toContain(ACCESS_KEY);
  expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  expect(JSON.stringify(result.jsonBody)).not.toMatch(/\bat .+:\d+:\d+/);
}

/**
 * The fault is over: the same function, with no restart and no new settings, sends again. Its message arriving
 * also means every earlier one that was going to arrive has (one connection's messages keep their order).
 */
async function expectRecovered(): Promise<void> {
  await rig.proxy.setMode({ kind: 'pass' });
  const sent = await rig.sendNumbered();
  expect(sent.result.status).toBe(202);
  await rig.waitForArrival(sent.seq, 'the message after recovery');
}

/** Settles the faults `sent` met once the path works again, with the deliveries counted by then. */
async function settleAfterRecovery(expected: Outcome, sent: SentMessage): Promise<void> {
  expectCleanError(sent.result);
  await expectRecovered();
  ledger.settle(expected, rig.outcomeOf(sent), rig.proxy.drainFaults());
}

beforeAll(async () => {
  rig = await startSendMessageRig({ accessKey: ACCESS_KEY, restTimeoutMs: 1500 });
});

afterAll(async () => {
  await rig.close();
  figures.save();
});

beforeEach(async () => {
  await rig.proxy.setMode({ kind: 'pass' });
  rig.proxy.resetStats();
});

afterEach(() => {
  // Whatever happened, the listener must never have seen a message twice.
  expect(rig.duplicated()).toEqual([]);
  ledger.unsettled(rig.proxy.drainFaults());
});

describe('sendMessage while the service is in trouble', () => {
  it('delivers normally through the proxy', async () => {
    const sent = await rig.sendNumbered();
    await rig.waitForArrival(sent.seq, 'the first message');
    expect(rig.outcomeOf(sent)).toEqual(RECOVERED);
  });

  it('answers 503 SignalRServiceUnavailable while the service refuses connections', async () => {
    await rig.proxy.setMode({ kind: 'refuse' });
    await settleAfterRecovery(failedWith(503, 0, 'SignalRServiceUnavailable'), await rig.sendNumbered());
  });

  it('answers 504 SignalRServiceTimeout when the service does not answer within SignalRRestTimeoutMs', async () => {
    await rig.proxy.setMode({ kind: 'stall' });
    await settleAfterRecovery(failedWith(504, 0, 'SignalRServiceTimeout'), await rig.sendNumbered());
  });

  it('does not repeat a send whose answer was cut short after the service accepted it', async () => {
    await rig.proxy.setMode({ kind: 'cut-mid-answer', times: 1 });
    // The caller learns the outcome is unknown; the listener got the message exactly once.
    await settleAfterRecovery(failedWith(503, 1, 'SignalRServiceUnavailable'), await rig.sendNumbered());
    expect(rig.proxy.forwardedMatching((r) => r.method === 'POST')).toBe(2);
  });

  it('rides through a 429 with Retry-After: delivered once', async () => {
    await rig.proxy.script([{ status: 429, headers: { 'retry-after': '0' }, body: '{}' }]);
    await settleAfterRecovery(RECOVERED, await rig.sendNumbered());
  });

  it('the service answering 503 means it is down: the function answers 503 (issue: "503/504 while down")', async () => {
    await rig.proxy.script(Array.from({ length: 10 }, () => ({ status: 503, body: '{"code":"Error","message":"unavailable"}' })));
    await settleAfterRecovery(failedWith(503, 0, 'SignalRServiceUnavailable'), await rig.sendNumbered());
  });

  it('an idempotent group change rides through a 500 burst and a reset', async () => {
    await rig.proxy.script([{ status: 500 }, { status: 500 }], { kind: 'reset-before-forward', times: 1 });
    const result = await callFunction(
      addToGroupOptions.handler as Parameters<typeof callFunction>[0],
      { path: 'addToGroup', body: JSON.stringify({ groupName: 'g1', connectionId: rig.listener.connectionId }), headers: { 'content-type': 'application/json' } },
      'addToGroup',
    );
    const inGroup = rig.emulator.core.groupExists('chat', 'g1') ? 1 : 0;
    const observed: Outcome = result.status === 200 ? { result: 'recovered', deliveries: inGroup } : failedWith(result.status, inGroup, appErrorOf(result)?.code);
    ledger.settle(RECOVERED, observed, rig.proxy.drainFaults());
  });
});
