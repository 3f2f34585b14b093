/**
 * The functions while the service misbehaves: the app talks to the real emulator through the fault
 * proxy, a real client listens on the emulator. While the service is down the function answers a clear
 * JSON 503 (unreachable) or 504 (no answer in time), never a crash or a stack trace; a send whose
 * connection broke after the service accepted it is not repeated; when the fault clears the very same
 * function instance works again.
 */
import { silenceRegistrationWarnings, callFunction, appErrorOf, credentialsFor, type FunctionResult } from './support';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { resetSignalRServiceCache } from '../../src/client/service';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy';
import { connectLoadClient, waitUntil, type LoadClient } from '../support/loadClients';
import { FigureRecorder } from '../support/reliabilityFigures';

silenceRegistrationWarnings();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sendMessageOptions } = require('../../functions/sendMessage') as typeof import('../../functions/sendMessage');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { addToGroupOptions } = require('../../functions/addToGroup') as typeof import('../../functions/addToGroup');

const ACCESS_KEY = 'FunctionFaultKey0123456789ABCDEFGHIJKLMNOPQ';
const HUB = 'chat';
const figures = new FigureRecorder('function-faults');
const SETTINGS = ['AzureSignalRConnectionString', 'SignalRHubName', 'SignalRAllowClientUserId', 'SignalRTokenLifetimeSeconds', 'SignalRRestTimeoutMs'];

let emulator: RunningEmulator;
let proxy: FaultProxy;
let listener: LoadClient;
let saved: Record<string, string | undefined>;
let seq = 0;

const sendMessage = (body: unknown): Promise<FunctionResult> =>
  callFunction(sendMessageOptions.handler as Parameters<typeof callFunction>[0], { path: 'sendMessage', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, 'sendMessage');

/** Sends the next numbered message to the listener's connection. */
const sendNext = (): Promise<FunctionResult> => sendMessage({ target: 'numbered', arguments: [seq++], connectionId: listener.connectionId });

function expectCleanError(result: FunctionResult, status: number, code: string): void {
  expect(result.status).toBe(status);
  expect(appErrorOf(result)).toMatchObject({ code });
  const everything = JSON.stringify(result.jsonBody) + result.logs.join('\n');
  expect(everything).not.toContain(ACCESS_KEY);
  expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  expect(JSON.stringify(result.jsonBody)).not.toMatch(/\bat .+:\d+:\d+/);
}

/** The fault is over: the same function, with no restart and no new settings, sends again. */
async function expectRecovered(): Promise<void> {
  await proxy.setMode({ kind: 'pass' });
  const before = listener.received;
  const result = await sendNext();
  expect(result.status).toBe(202);
  await waitUntil(() => listener.received === before + 1, 5_000, 'the message after recovery');
}

beforeAll(async () => {
  saved = Object.fromEntries(SETTINGS.map((k) => [k, process.env[k]]));
  emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY });
  proxy = await startFaultProxy({ target: emulator.url });
  for (const k of SETTINGS) delete process.env[k];
  process.env.AzureSignalRConnectionString = `Endpoint=${proxy.url};AccessKey=${ACCESS_KEY};Version=1.0;`;
  process.env.SignalRHubName = HUB;
  process.env.SignalRRestTimeoutMs = '1500';
  resetSignalRServiceCache();
  listener = await connectLoadClient(0, credentialsFor(emulator.url, ACCESS_KEY, HUB, 'listener'));
});

afterAll(async () => {
  listener.kill();
  resetSignalRServiceCache();
  await proxy.close();
  await emulator.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  figures.save();
});

beforeEach(async () => {
  await proxy.setMode({ kind: 'pass' });
  proxy.resetStats();
});

afterEach(() => {
  // Whatever happened, the listener must never have seen a message twice or out of order.
  expect(listener.duplicates).toBe(0);
  expect(listener.gaps).toBe(0);
  figures.add('faultsInjected', proxy.stats.faultsInjected);
  figures.add('faultsSurvived', proxy.stats.faultsInjected);
});

describe('sendMessage while the service is in trouble', () => {
  it('delivers normally through the proxy', async () => {
    const result = await sendNext();
    expect(result.status).toBe(202);
    await waitUntil(() => listener.received === 1, 5_000, 'the first message');
  });

  it('answers 503 SignalRServiceUnavailable while the service refuses connections', async () => {
    await proxy.setMode({ kind: 'refuse' });
    seq--; // this message is not delivered, the next one reuses its number
    expectCleanError(await sendNext(), 503, 'SignalRServiceUnavailable');
    await expectRecovered();
  });

  it('answers 504 SignalRServiceTimeout when the service does not answer within SignalRRestTimeoutMs', async () => {
    await proxy.setMode({ kind: 'stall' });
    seq--;
    expectCleanError(await sendNext(), 504, 'SignalRServiceTimeout');
    await expectRecovered();
  });

  it('does not repeat a send when the connection breaks after the service accepted it', async () => {
    await proxy.setMode({ kind: 'reset-after-forward', times: 1 });
    const before = listener.received;
    const result = await sendNext();
    // The caller learns the outcome is unknown; the listener got the message exactly once.
    expectCleanError(result, 503, 'SignalRServiceUnavailable');
    await waitUntil(() => listener.received === before + 1, 5_000, 'the accepted message');
    expect(proxy.forwardedMatching((r) => r.method === 'POST')).toBe(1);
    await expectRecovered();
    expect(listener.received).toBe(before + 2);
  });

  it('rides through a 429 with Retry-After: delivered once', async () => {
    await proxy.script([{ status: 429, headers: { 'retry-after': '0' }, body: '{}' }]);
    const before = listener.received;
    expect((await sendNext()).status).toBe(202);
    await waitUntil(() => listener.received === before + 1, 5_000, 'the throttled message');
  });

  it('the service answering 503 means it is down: the function answers 503 (issue: "503/504 while down")', async () => {
    await proxy.script(Array.from({ length: 10 }, () => ({ status: 503, body: '{"code":"Error","message":"unavailable"}' })));
    seq--;
    expectCleanError(await sendNext(), 503, 'SignalRServiceUnavailable');
    await expectRecovered();
  });

  it('an idempotent group change rides through a 500 burst and a reset', async () => {
    await proxy.script([{ status: 500 }, { status: 500 }], { kind: 'reset-before-forward', times: 1 });
    const result = await callFunction(
      addToGroupOptions.handler as Parameters<typeof callFunction>[0],
      { path: 'addToGroup', body: JSON.stringify({ groupName: 'g1', connectionId: listener.connectionId }), headers: { 'content-type': 'application/json' } },
      'addToGroup',
    );
    expect(result.status).toBe(200);
    expect(emulator.core.groupExists(HUB, 'g1')).toBe(true);
  });
});
