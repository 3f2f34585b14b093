/**
 * The emulator under load and faults, at a scale that fits the default `npm test` (the 10,000-connection
 * and 100,000-message runs are in test/reliability/load/, `npm run test:load`):
 * - a burst of REST sends, every message counted at its receiver, order kept per connection;
 * - a slow consumer that never reads is dropped at its outbound limit without holding up the others;
 * - clients killed mid-stream do not disturb the survivors;
 * - the emulator restarted under connected official clients: their automatic reconnect works.
 */
import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from '@microsoft/signalr';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { SignalRRestClient } from '../../src/client/rest/client';
import { accessKeyAuthorizer } from '../../src/client/auth/authorizers';
import { TokenIssuer } from '../../src/client/auth/tokens';
import { openLoadPool, openStalledWebSocket, waitUntil, type LoadClient, type LoadPool } from '../support/loadClients';
import { FigureRecorder } from '../support/reliabilityFigures';
import { failedWith, FaultLedger, RECOVERED, streamDeliveries, type Outcome } from '../support/faultLedger';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy';
import { credentialsFor, runPool, sleep } from './support';

const ACCESS_KEY = 'EmulatorFaultKey0123456789ABCDEFGHIJKLMNOPQ';
const figures = new FigureRecorder('emulator-faults');
const ledger = new FaultLedger(figures);

function restClientFor(emulator: RunningEmulator): SignalRRestClient {
  return new SignalRRestClient({ endpoint: emulator.url, authorizer: accessKeyAuthorizer(new TokenIssuer(ACCESS_KEY)), timeoutMs: 10_000 });
}

afterAll(() => figures.save());

function sumCounts(clients: readonly LoadClient[]): { received: number; gaps: number; duplicates: number } {
  return clients.reduce((sum, c) => ({ received: sum.received + c.received, gaps: sum.gaps + c.gaps, duplicates: sum.duplicates + c.duplicates }), { received: 0, gaps: 0, duplicates: 0 });
}

describe('emulator: burst of sends, counted per receiver', () => {
  let emulator: RunningEmulator;
  let rest: SignalRRestClient;
  let pool: LoadPool | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY });
    rest = restClientFor(emulator);
  });
  afterAll(async () => {
    await pool?.closeAll();
    rest.close();
    await emulator.close();
  });

  it('delivers every message of a 5,000-send burst to 500 connections, in order per connection', async () => {
    const clients = 500;
    const perConnection = 10;
    pool = await openLoadPool({ count: clients, credentials: (i) => credentialsFor(emulator.url, ACCESS_KEY, 'burst', `user${i}`) });
    expect(pool.failures).toEqual([]);
    figures.add('connectionsHeld', pool.totals().open);

    // The REST client's 100 keep-alive connections are opened first. Node accepts one new connection per
    // turn of its event loop, and this process also runs the emulator and the 500 clients: opened inside
    // the burst, the last of 100 new connections waited 5 to 11 s to be accepted (measured on Node 20 with a
    // second jest worker busy; 22 and 24 accept the same way), past the 10 s budget of a call. The burst is
    // about sends.
    const concurrency = 100;
    await Promise.all(Array.from({ length: concurrency }, () => rest.isServiceHealthy()));

    // Each connection's sends go one after another (the service keeps the order it receives), the
    // connections in parallel; then broadcasts on top, with their own sequence.
    await runPool(clients, concurrency, async (i) => {
      const c = pool!.clients[i];
      for (let seq = 0; seq < perConnection; seq++) {
        await rest.sendToConnection('burst', c.connectionId, { target: 'direct', arguments: [seq, 'x'.repeat(64)] });
      }
    });
    const broadcasts = 5;
    for (let seq = 0; seq < broadcasts; seq++) await rest.broadcast('burst', { target: 'all', arguments: [seq] });
    const sent = clients * perConnection + broadcasts;
    const expected = clients * (perConnection + broadcasts);

    await pool.waitFor(() => pool!.totals().received >= expected, 20_000, `${expected} deliveries`);
    const totals = pool.totals();
    expect(totals).toMatchObject({ received: expected, gaps: 0, duplicates: 0, open: clients });
    for (const c of pool.clients) {
      expect(c.expected.get('direct')).toBe(perConnection);
      expect(c.expected.get('all')).toBe(broadcasts);
    }
    figures.add('messagesSent', sent);
    figures.add('messagesReceived', totals.received);
    figures.add('messagesLost', totals.gaps);
    figures.add('messagesOutOfOrder', totals.duplicates);
  });
});

describe('emulator: a slow consumer is bounded and dropped, the others are not slowed', () => {
  const outboundLimit = 1024 * 1024;
  let emulator: RunningEmulator;
  let rest: SignalRRestClient;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY, maxOutboundBufferBytes: outboundLimit });
    rest = restClientFor(emulator);
  });
  afterAll(async () => {
    rest.close();
    await emulator.close();
  });

  it('drops a client that stops reading once its queue passes the limit; readers get everything', async () => {
    const pool = await openLoadPool({ count: 20, credentials: (i) => credentialsFor(emulator.url, ACCESS_KEY, 'slow', `reader${i}`) });
    const stalled = await openStalledWebSocket(credentialsFor(emulator.url, ACCESS_KEY, 'slow', 'sleeper'));
    try {
      expect(await rest.connectionExists('slow', stalled.connectionId)).toBe(true);
      const messages = 400;
      const chunk = 'y'.repeat(64 * 1024);
      // 400 x 64 KB = 25 MB per connection: far more than the socket buffers and the 1 MB limit can hold.
      // Every send is answered while the sleeper is still connected and unread: nobody waits for it.
      for (let seq = 0; seq < messages; seq++) await rest.broadcast('slow', { target: 'big', arguments: [seq, chunk] });
      await pool.waitFor(() => pool.totals().received >= 20 * messages, 30_000, 'readers to get every message');
      expect(pool.totals()).toMatchObject({ received: 20 * messages, gaps: 0, duplicates: 0, open: 20 });

      await waitUntil(() => !emulator.core.connectionExists('slow', stalled.connectionId), 10_000, 'the slow consumer to be dropped');
      // Its queue is gone with it: the endpoint no longer tracks the session.
      await waitUntil(() => emulator.sessionCount() === 20, 10_000, 'the dropped session to be released');
      // Survived: the sleeper was dropped (the service says so) and every reader got every message once.
      const dropped = !(await rest.connectionExists('slow', stalled.connectionId));
      const readers = streamDeliveries(pool.totals(), 20 * messages);
      ledger.settle(RECOVERED, dropped ? { result: 'recovered', deliveries: readers } : failedWith('slow consumer still connected', readers), { 'slow-consumer': 1 });
      figures.add('messagesSent', messages);
      figures.add('messagesReceived', pool.totals().received);
    } finally {
      stalled.destroy();
      await pool.closeAll();
    }
  });
});

describe('emulator: clients killed mid-stream', () => {
  let emulator: RunningEmulator;
  let rest: SignalRRestClient;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY });
    rest = restClientFor(emulator);
  });
  afterAll(async () => {
    rest.close();
    await emulator.close();
  });

  it('survivors receive the whole stream in order while half the clients die abruptly', async () => {
    const count = 200;
    const pool = await openLoadPool({ count, credentials: (i) => credentialsFor(emulator.url, ACCESS_KEY, 'kill', `k${i}`) });
    try {
      const messages = 300;
      const victims = pool.clients.filter((c) => c.index % 2 === 1);
      for (let seq = 0; seq < messages; seq++) {
        await rest.broadcast('kill', { target: 'stream', arguments: [seq] });
        // Kill a few victims at every step, without a close frame, as a crashed browser would.
        if (seq % 10 === 5) for (const v of victims.splice(0, 10)) v.kill();
      }
      for (const v of victims) v.kill();
      const survivors = pool.clients.filter((c) => c.index % 2 === 0);
      await waitUntil(() => survivors.every((c) => c.received === messages), 20_000, 'survivors to receive the stream');
      for (const s of survivors) expect(s).toMatchObject({ received: messages, gaps: 0, duplicates: 0 });
      // The service notices every death and forgets those connections.
      await waitUntil(() => emulator.core.connectionCount('kill') === survivors.length, 10_000, 'dead connections to be removed');
      await expect(rest.broadcast('kill', { target: 'after', arguments: [0] })).resolves.toBeUndefined();
      await waitUntil(() => survivors.every((c) => c.expected.get('after') === 1), 10_000, 'a message after the deaths');
      // Each death survived: the service forgot that connection, and the survivors' stream stayed whole.
      const stream = streamDeliveries(sumCounts(survivors), survivors.length * (messages + 1));
      for (const victim of pool.clients.filter((c) => c.index % 2 === 1)) {
        const forgotten = !(await rest.connectionExists('kill', victim.connectionId));
        ledger.settle(RECOVERED, forgotten ? { result: 'recovered', deliveries: stream } : failedWith('dead connection still known', stream), { 'client-killed': 1 });
      }
      figures.add('messagesSent', messages + 1);
      figures.add('messagesReceived', survivors.reduce((n, c) => n + c.received, 0));
    } finally {
      await pool.closeAll();
    }
  });
});

describe('emulator restarted under official clients with automatic reconnect', () => {
  const hub = 'restart';
  let emulator: RunningEmulator | undefined;
  let proxy: FaultProxy | undefined;
  const connections: HubConnection[] = [];

  /** Each client got the one message after the restart exactly once, while connected: the restart was survived. */
  function restartOutcome(clients: HubConnection[], received: Map<number, number>): Outcome {
    const counts = clients.map((_, i) => received.get(i) ?? 0);
    const deliveries = counts.some((n) => n > 1) ? 2 : counts.every((n) => n === 1) ? 1 : 0;
    const connected = clients.every((c) => c.state === HubConnectionState.Connected);
    return connected ? { result: 'recovered', deliveries } : failedWith('not reconnected', deliveries);
  }

  const build = (url: string, userId: string): HubConnection =>
    new HubConnectionBuilder()
      .withUrl(`${url}/client/?hub=${hub}`, { accessTokenFactory: () => credentialsFor(url, ACCESS_KEY, hub, userId).accessToken })
      // Keep trying every 200 ms for up to 20 s: the restart takes well under that.
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => (ctx.elapsedMilliseconds < 20_000 ? 200 : null) })
      .configureLogging(LogLevel.None)
      .build();

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.stop()));
    await proxy?.close();
    await emulator?.close();
    proxy = undefined;
    emulator = undefined;
  });

  /**
   * 20 official clients connected through `clientBase(emulator)`, the emulator stopped by `stop`, a new
   * one started on the same port; every client must come back by itself and receive a broadcast.
   */
  async function restartScenario(
    fault: string,
    clientBase: (e: RunningEmulator) => Promise<string>,
    stop: (old: RunningEmulator) => Promise<void>,
    afterRestart: () => Promise<void> = async () => undefined,
  ): Promise<void> {
    emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY });
    const port = emulator.port;
    const base = await clientBase(emulator);
    const received = new Map<number, number>();
    const clients = Array.from({ length: 20 }, (_, i) => build(base, `r${i}`));
    connections.push(...clients);
    let reconnected = 0;
    const closedWith: string[] = [];
    clients.forEach((c, i) => {
      c.on('news', () => received.set(i, (received.get(i) ?? 0) + 1));
      c.onreconnected(() => {
        reconnected += 1;
      });
      c.onclose((error) => closedWith.push(error?.message ?? 'closed without error'));
    });
    await Promise.all(clients.map((c) => c.start()));

    await stop(emulator);
    await sleep(300);
    emulator = await startEmulator({ port, accessKey: ACCESS_KEY });
    await afterRestart();
    await waitUntil(() => reconnected + closedWith.length === clients.length, 20_000, 'every client to reconnect or give up', 50);
    // A client that gave up instead of reconnecting shows why here.
    expect([...new Set(closedWith)]).toEqual([]);
    expect(clients.every((c) => c.state === HubConnectionState.Connected)).toBe(true);
    expect(emulator.core.connectionCount(hub)).toBe(clients.length);

    const rest = restClientFor(emulator);
    try {
      await rest.broadcast(hub, { target: 'news', arguments: ['after restart'] });
      await waitUntil(() => received.size === clients.length, 10_000, 'every reconnected client to get the message');
      await sleep(100); // a duplicate would show up now
    } finally {
      rest.close();
    }
    ledger.settle(RECOVERED, restartOutcome(clients, received), { [fault]: 1 });
  }

  it('reconnects after a crash: connections cut without a Close message, service back on the same port', async () => {
    await restartScenario(
      'emulator-crash',
      async (e) => {
        proxy = await startFaultProxy({ target: e.url });
        return proxy.url;
      },
      async (old) => {
        // The network path dies first (sockets cut, connections refused), then the process goes away.
        await proxy!.setMode({ kind: 'refuse' });
        await old.close();
      },
      () => proxy!.setMode({ kind: 'pass' }),
    );
  });

  it('reconnects after a graceful restart (close(), as on SIGTERM)', async () => {
    await restartScenario('emulator-graceful-restart', async (e) => e.url, (old) => old.close());
  });
});
