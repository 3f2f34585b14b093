/**
 * The REST client waits on at most `maxOpeningSockets` new connections at once; other requests wait for a socket
 * that is free or has answered (src/client/rest/newConnectionGate.ts). The rule itself, then the client against
 * a real HTTP server that holds its requests.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { accessKeyAuthorizer } from '../../../src/client/auth/authorizers';
import { TokenIssuer } from '../../../src/client/auth/tokens';
import { SignalRRestClient } from '../../../src/client/rest/client';
import { SignalRNetworkError, SignalRTimeoutError } from '../../../src/client/rest/errors';
import { ClientClosedError, NewConnectionGate } from '../../../src/client/rest/newConnectionGate';
import { ServiceRuleError } from '../../../src/contract';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const payload = { target: 't', arguments: [] };

describe('the rule', () => {
  test('requests past the answered sockets plus maxOpening wait, first in first out, and go as sockets free or answer', async () => {
    const gate = new NewConnectionGate(2);
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([true, true, false]);
    const order: string[] = [];
    const signal = new AbortController().signal;
    const first = gate.wait(signal).then(() => order.push('first'));
    const second = gate.wait(signal).then(() => order.push('second'));
    // Someone waits: a new request queues behind, even once there is room.
    expect(gate.tryEnter()).toBe(false);
    gate.leave(); // a request settled on a socket that never answered (it failed): its room goes to the first waiter
    await first;
    expect(order).toEqual(['first']);
    gate.socketAnswered(); // one socket answered: one more may open
    await second;
    expect(order).toEqual(['first', 'second']);
    expect(gate.state).toEqual({ out: 3, answered: 1, waiting: 0 });
    gate.answeredSocketClosed();
    gate.leave();
    expect(gate.state).toEqual({ out: 2, answered: 0, waiting: 0 });
    expect(gate.tryEnter()).toBe(false);
  });

  test('a wait that is aborted rejects with the reason and leaves the line; the next waiter gets the room', async () => {
    const gate = new NewConnectionGate(1);
    expect(gate.tryEnter()).toBe(true);
    const caller = new AbortController();
    const abandoned = gate.wait(caller.signal);
    const next = gate.wait(new AbortController().signal);
    caller.abort(new Error('caller gave up'));
    await expect(abandoned).rejects.toThrow('caller gave up');
    expect(gate.state.waiting).toBe(1);
    gate.leave();
    await expect(next).resolves.toBeUndefined();
    expect(gate.state).toEqual({ out: 1, answered: 0, waiting: 0 });
    // Already aborted: rejects at once, never queues.
    await expect(gate.wait(caller.signal)).rejects.toThrow('caller gave up');
    expect(gate.state.waiting).toBe(0);
  });
});

describe('the rule, when the server does not keep connections and when the client closes', () => {
  test('once a socket that answered closes without being kept, every request goes out; a kept socket brings the bound back', () => {
    const gate = new NewConnectionGate(1);
    expect([gate.tryEnter(), gate.tryEnter()]).toEqual([true, false]);
    gate.socketNotKept();
    expect([gate.tryEnter(), gate.tryEnter()]).toEqual([true, true]);
    gate.socketAnswered();
    expect(gate.state).toEqual({ out: 3, answered: 1, waiting: 0 });
    expect(gate.tryEnter()).toBe(false);
  });

  test('closing refuses the waiting requests and every later one', async () => {
    const gate = new NewConnectionGate(1);
    expect(gate.tryEnter()).toBe(true);
    const waiting = gate.wait(new AbortController().signal);
    gate.close();
    await expect(waiting).rejects.toThrow(ClientClosedError);
    gate.leave();
    expect(gate.tryEnter()).toBe(false);
    await expect(gate.wait(new AbortController().signal)).rejects.toThrow('the REST client was closed before the call went out');
  });
});

/** A server that holds every request until released, and counts the connections it was opened. */
class HoldingServer {
  readonly held: http.ServerResponse[] = [];
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private holding = true;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<HoldingServer> {
    const server = http.createServer();
    const holding = new HoldingServer(server);
    server.on('connection', (socket) => {
      holding.connections += 1;
      holding.sockets.add(socket);
      socket.on('close', () => holding.sockets.delete(socket));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      req.resume();
      req.on('end', () => {
        if (!holding.holding) {
          res.writeHead(202).end();
          return;
        }
        holding.held.push(res);
        for (const waiter of holding.waiters.filter((w) => holding.held.length >= w.count)) {
          holding.waiters.splice(holding.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return holding;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  waitForHeld(count: number): Promise<void> {
    if (this.held.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Answers the held requests, and from now on every request at once. */
  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) res.writeHead(202).end();
  }

  /** Holds the requests from now on again. */
  hold(): void {
    this.holding = true;
  }

  /** Closes the idle kept-alive connections, as a server's keep-alive timeout does. */
  closeIdleConnections(): void {
    this.server.closeIdleConnections();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: HoldingServer;
beforeEach(async () => {
  server = await HoldingServer.start();
});
afterEach(() => server.close());

const clientFor = (options: { timeoutMs?: number; maxOpeningSockets?: number } = {}): SignalRRestClient =>
  new SignalRRestClient({ endpoint: server.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), timeoutMs: options.timeoutMs ?? 5000, ...options });

/** Lets the event loop turn a few times, so that requests that were going to reach the server have. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

test('a burst from a new client opens maxOpeningSockets connections (default 8), and the rest go once they answer', async () => {
  const client = clientFor();
  const calls = Array.from({ length: 20 }, () => client.broadcast('chat', payload));
  await server.waitForHeld(8);
  await settle();
  expect(server.connections).toBe(8);
  expect(server.held).toHaveLength(8);
  server.release();
  await expect(Promise.all(calls)).resolves.toHaveLength(20);
  client.close();
});

test('a socket the server closed no longer counts: after the pool is closed, a burst opens maxOpeningSockets again', async () => {
  const client = clientFor();
  server.release();
  for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 20 }, () => client.broadcast('chat', payload)));
  const grown = server.connections;
  expect(grown).toBeGreaterThan(8);
  server.closeIdleConnections();
  server.hold();
  await settle(); // the client hears the closes
  const calls = Array.from({ length: 20 }, () => client.broadcast('chat', payload));
  await server.waitForHeld(8);
  await settle();
  expect(server.connections - grown).toBe(8);
  server.release();
  await expect(Promise.all(calls)).resolves.toHaveLength(20);
  client.close();
});

test('the pool still grows past maxOpeningSockets: each socket that answers lets one more open', async () => {
  const client = clientFor({ maxOpeningSockets: 2 });
  server.release(); // answers at once
  // Ten rounds of 32 at once: each socket that answers lets another open, so the pool outgrows the first two.
  for (let round = 0; round < 10; round++) await Promise.all(Array.from({ length: 32 }, () => client.broadcast('chat', payload)));
  expect(server.connections).toBeGreaterThan(2);
  client.close();
});

test('a call waiting for a socket still ends with its time budget, and leaves the line', async () => {
  const client = clientFor({ maxOpeningSockets: 1, timeoutMs: 300 });
  const caller = new AbortController();
  const held = client.broadcast('chat', payload, { timeoutMs: 5000, signal: caller.signal }).catch((error: unknown) => error);
  await server.waitForHeld(1);
  const waiting = await client.broadcast('chat', payload).catch((error: unknown) => error);
  expect(waiting).toBeInstanceOf(SignalRTimeoutError);
  expect(server.held).toHaveLength(1);
  // The held call gives up on a socket that never answered, so no socket counts as answered: the next call goes
  // out only if neither call still counts as out.
  caller.abort(new Error('caller gave up'));
  await held;
  server.release();
  await expect(client.broadcast('chat', payload)).resolves.toBeUndefined();
  client.close();
});

test('a server that closes its connections after each answer gets every call at once', async () => {
  await server.close();
  let atOnce = 0;
  let mostAtOnce = 0;
  const closing = http.createServer((req, res) => {
    atOnce += 1;
    mostAtOnce = Math.max(mostAtOnce, atOnce);
    req.resume();
    setTimeout(() => {
      atOnce -= 1;
      res.writeHead(202, { Connection: 'close' }).end();
    }, 150);
  });
  await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
  try {
    const client = new SignalRRestClient({ endpoint: `http://127.0.0.1:${(closing.address() as AddressInfo).port}`, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), timeoutMs: 5000 });
    // The first eight find out that the server keeps nothing; the other 32 then go at once.
    await expect(Promise.all(Array.from({ length: 40 }, () => client.broadcast('chat', payload)))).resolves.toHaveLength(40);
    expect(mostAtOnce).toBeGreaterThan(8);
    client.close();
  } finally {
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
    server = await HoldingServer.start(); // for afterEach
  }
});

test('closing the client refuses the calls waiting for a socket; none goes out afterwards', async () => {
  const client = clientFor();
  const calls = Array.from({ length: 20 }, () => client.broadcast('chat', payload).then(() => 'sent', (error: unknown) => error));
  await server.waitForHeld(8);
  client.close();
  const outcomes = await Promise.all(calls);
  expect(outcomes.every((outcome) => outcome instanceof SignalRNetworkError)).toBe(true);
  expect(outcomes.filter((outcome) => outcome instanceof Error && outcome.message.includes('the REST client was closed before the call went out'))).toHaveLength(12);
  await settle();
  expect(server.held).toHaveLength(8);
});

test('maxOpeningSockets must be a whole number >= 1, named in the error', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    expect(() => clientFor({ maxOpeningSockets: bad })).toThrow(ServiceRuleError);
    expect(() => clientFor({ maxOpeningSockets: bad })).toThrow(/maxOpeningSockets/);
  }
});
