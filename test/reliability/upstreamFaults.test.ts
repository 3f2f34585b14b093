/**
 * The SignalR trigger under faults: official clients invoke the chat's hub methods; the emulator's upstream
 * reaches the app's real signalRUpstream function (served over real HTTP) through the fault proxy. While the
 * upstream is down, slow past the emulator's upstream timeout, or answering 500, every invoke must complete, with
 * the Completion error that says what happened, none may hang, and no message of a failed invoke may arrive; when
 * the upstream closes the kept-alive connections the emulator reuses, every invoke must still succeed, once.
 * Each fault is settled with the outcome observed at the clients (test/support/faultLedger.ts).
 */
import { silenceRegistrationWarnings } from './support';
import { setSettings } from '../functions/support';
import { signalRUpstreamOptions } from '../../functions/signalRUpstream';
import '../../functions/hubBroadcast';
import '../../functions/hubConnected';
import '../../functions/hubDisconnected';
import { resetSignalRServiceCache } from '../../src/client/service';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { connectClient, delay, eventually, type TestClient } from '../emulator/client-harness';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../support/faultProxy';
import { failedWith, FaultLedger, RECOVERED, sameOutcome, type Outcome } from '../support/faultLedger';
import { FigureRecorder } from '../support/reliabilityFigures';
import { startHandlerServer, type RunningUpstream } from '../support/upstreamServers';

silenceRegistrationWarnings();

const UPSTREAM_TIMEOUT_MS = 1_000;
/** An invoke still pending after this long is hung (a functional bound: four timed-out calls queue per connection). */
const HANG_BOUND_MS = 15_000;
const INVOKES_PER_CLIENT = 4;
const figures = new FigureRecorder('upstream-faults');
const ledger = new FaultLedger(figures);

let app: RunningUpstream;
let proxy: FaultProxy;
let emulator: RunningEmulator;
let upstreamUrl: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  app = await startHandlerServer(signalRUpstreamOptions.handler);
  proxy = await startFaultProxy({ target: app.url });
  upstreamUrl = `${proxy.url}/api/signalr/upstream`;
  emulator = await startEmulator({ port: 0, upstream: { urlTemplates: [upstreamUrl], timeoutMs: UPSTREAM_TIMEOUT_MS, log: () => undefined } });
  setSettings({ AzureSignalRConnectionString: emulator.connectionString });
  for (const user of ['alice', 'bob', 'carol']) clients.push(await connectClient(emulator, { user, target: 'newMessage' }));
});

afterAll(async () => {
  await proxy.setMode({ kind: 'pass' });
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  await emulator.close();
  await proxy.close();
  await app.close();
  resetSignalRServiceCache();
  figures.save();
});

beforeEach(async () => {
  await proxy.setMode({ kind: 'pass' });
  proxy.setConnectionFault({ kind: 'none' });
  proxy.drainFaults();
});

/** Times a broadcast text reached the clients: 1 when each got it once, 0 when any missed it, 2 when any got it twice. */
function deliveriesOf(text: string): number {
  const counts = clients.map((c) => c.received.filter(([m]) => (m as { text?: unknown }).text === text).length);
  if (counts.some((n) => n > 1)) return 2;
  return counts.every((n) => n === 1) ? 1 : 0;
}

/** Every client invokes broadcast INVOKES_PER_CLIENT times at once; each invoke's result or error, or 'hung'. */
async function invokeAll(label: string): Promise<Array<{ text: string; result: 'resolved' | 'hung' | Error }>> {
  const calls = clients.flatMap((client, c) =>
    Array.from({ length: INVOKES_PER_CLIENT }, async (_, i) => {
      const text = `${label} ${c}.${i}`;
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), HANG_BOUND_MS);
      });
      const invoked = client.connection.invoke('broadcast', text).then(
        () => 'resolved' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      try {
        return { text, result: await Promise.race([invoked, hung]) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Promise.all(calls);
}

/** After the fault: one broadcast through a working upstream reaches everyone (so anything sent earlier had too). */
async function marker(): Promise<void> {
  await proxy.setMode({ kind: 'pass' });
  proxy.setConnectionFault({ kind: 'none' });
  const text = `marker ${Math.random()}`;
  await clients[0]!.connection.invoke('broadcast', text);
  await eventually(() => deliveriesOf(text) === 1, 'the marker broadcast');
}

/**
 * The faults the proxy injected during these invokes, settled against the outcome each invoke must have. The proxy
 * does not say which invoke a fault hit, so when any invoke differs, every fault of the run counts as not survived.
 */
function settleRun(expected: Outcome, results: Array<{ text: string; result: 'resolved' | 'hung' | Error }>): void {
  const observed = results.map(({ text, result }): Outcome => {
    const deliveries = deliveriesOf(text);
    if (result === 'resolved') return { result: 'recovered', deliveries };
    return failedWith(result === 'hung' ? 'hung' : result.message, deliveries);
  });
  const differing = observed.find((outcome) => !sameOutcome(expected, outcome));
  ledger.settle(expected, differing ?? expected, proxy.drainFaults());
}

async function underFault(mode: FaultMode, label: string, expected: Outcome, settleMs = 0): Promise<void> {
  await proxy.setMode(mode);
  const results = await invokeAll(label);
  // A request the proxy held is never forwarded once the emulator gave up on it; wait past its hold to be sure.
  await delay(settleMs);
  await marker();
  settleRun(expected, results);
}

describe('hub method invocations while the upstream function is in trouble', () => {
  it('down (connection refused): every invoke completes with the error naming the upstream', async () => {
    await underFault({ kind: 'refuse' }, 'while down', failedWith(`Invocation failed, could not reach ${upstreamUrl} (ECONNREFUSED)`, 0));
  });

  it('slow past the upstream timeout: every invoke completes with the timeout error, the message never goes out', async () => {
    const held = 2 * UPSTREAM_TIMEOUT_MS;
    await underFault({ kind: 'delay', ms: held }, 'while slow', failedWith(`Invocation failed, timeout: ${upstreamUrl} did not answer within ${UPSTREAM_TIMEOUT_MS} ms`, 0), held);
  });

  it('answering 500: every invoke completes with the status and the upstream\'s own message', async () => {
    const answers = Array.from({ length: clients.length * INVOKES_PER_CLIENT }, () => ({ status: 500, body: '{"message":"function host unavailable"}' }));
    await underFault({ kind: 'script', responses: answers }, 'while 500', failedWith('Invocation failed, status code 500: function host unavailable', 0));
  });

  it('closing the kept-alive connections the emulator reuses: every invoke succeeds, its message sent once', async () => {
    proxy.setConnectionFault({ kind: 'close-on-reuse', probability: 1 });
    const results = await invokeAll('stale connections');
    const faults = proxy.stats.faultsByKind['close-on-reuse'] ?? 0;
    await marker();
    settleRun(RECOVERED, results);
    // Connections were reused and closed under the emulator: the case was met, not just allowed.
    expect(faults).toBeGreaterThan(0);
  });
});
