/**
 * The REST client against a real server that closes kept-alive connections the way servers and load balancers
 * do: a request that arrives on a REUSED connection is dropped before any byte of an answer (the server had
 * closed the idle connection as the client reused it). Such a request never reached the service, so the client
 * sends it once more on a fresh connection, sends included (src/contract/staleConnections.ts). Anything that may
 * have come after the service acted stays unretried for sends.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { accessKeyAuthorizer } from '../../../src/client/auth/authorizers';
import { TokenIssuer } from '../../../src/client/auth/tokens';
import { SignalRRestClient, type SignalRRestClientOptions } from '../../../src/client/rest/client';
import { SignalRNetworkError } from '../../../src/client/rest/errors';
import { failedOnStaleConnection } from '../../../src/contract';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const payload = { target: 'm', arguments: ['x'] };

/** What the server does with a request, given whether it came on a connection an earlier request used. */
type Action = 'answer' | 'close' | 'reset' | 'answer-head-then-close';

interface ClosingServer {
  url: string;
  /** Every request received: whether its connection was reused, and what the server did. */
  requests: Array<{ reused: boolean; action: Action }>;
  /** Requests the server answered (the service processed them). */
  processed(): number;
  close(): Promise<void>;
}

async function startClosingServer(decide: (reused: boolean) => Action): Promise<ClosingServer> {
  const requests: ClosingServer['requests'] = [];
  const served = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const count = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, count);
    const reused = count > 1;
    const action = decide(reused);
    requests.push({ reused, action });
    if (action === 'close') req.socket.destroy();
    else if (action === 'reset') req.socket.resetAndDestroy();
    else if (action === 'answer-head-then-close') {
      // The service acted and began to answer (status line and headers, announcing a body that never comes).
      res.writeHead(202, { 'content-length': '10' });
      res.flushHeaders();
      setTimeout(() => req.socket.destroy(), 20);
    } else {
      req.resume();
      req.on('end', () => res.writeHead(req.method === 'POST' ? 202 : 200).end());
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    processed: () => requests.filter((r) => r.action === 'answer' || r.action === 'answer-head-then-close').length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let server: ClosingServer;
const clients: SignalRRestClient[] = [];

function makeClient(options: Partial<SignalRRestClientOptions> = {}): SignalRRestClient {
  const client = new SignalRRestClient({ endpoint: server.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), random: () => 0, timeoutMs: 5000, ...options });
  clients.push(client);
  return client;
}

/** One send that leaves a kept-alive connection in the client's pool (Node returns it a tick after the answer). */
async function warmUp(client: SignalRRestClient): Promise<void> {
  await client.sendToUser('chat', 'warm-up', payload);
  await new Promise((resolve) => setImmediate(resolve));
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

describe('a reused connection the server closed before answering', () => {
  test.each<[string, Action]>([
    ['closed (FIN: "socket hang up")', 'close'],
    ['reset (RST: ECONNRESET)', 'reset'],
  ])('%s: the send goes once more on a fresh connection and is processed once', async (_name, action) => {
    server = await startClosingServer((reused) => (reused ? action : 'answer'));
    const client = makeClient();
    await warmUp(client);
    await client.sendToUser('chat', 'u', payload);
    expect(server.requests.slice(1)).toEqual([
      { reused: true, action },
      { reused: false, action: 'answer' },
    ]);
    expect(server.processed()).toBe(2); // the warm-up and the send, once
  });

  test('also with maxAttempts 1: the resend is not a retry of the service\'s answer, and spends no attempt', async () => {
    server = await startClosingServer((reused) => (reused ? 'reset' : 'answer'));
    const client = makeClient({ retry: { maxAttempts: 1 } });
    await warmUp(client);
    await client.addUserToGroup('chat', 'u', 'g');
    // The resend's connection is not kept: the next warm-up opens one more.
    await warmUp(client);
    await client.broadcast('chat', payload);
    expect(server.requests.map((r) => r.reused)).toEqual([false, true, false, false, true, false]);
  });

  test('once only: when the fresh connection fails too, the send is reported, not repeated again', async () => {
    let warm = true;
    server = await startClosingServer(() => (warm ? 'answer' : 'reset'));
    const client = makeClient();
    await warmUp(client);
    warm = false;
    const error = await client.sendToUser('chat', 'u', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect(error).toMatchObject({ code: 'ECONNRESET', attempts: 1 });
    expect(server.requests.slice(1)).toEqual([
      { reused: true, action: 'reset' },
      { reused: false, action: 'reset' },
    ]);
  });
});

describe('what may have come after the service acted stays unretried for sends', () => {
  test('the answer had begun (status line and headers) when the reused connection closed: reported, processed once', async () => {
    server = await startClosingServer((reused) => (reused ? 'answer-head-then-close' : 'answer'));
    const client = makeClient();
    await warmUp(client);
    const error = await client.sendToUser('chat', 'u', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect(server.requests.slice(1)).toEqual([{ reused: true, action: 'answer-head-then-close' }]);
  });

  test('a fresh connection reset: reported, not repeated', async () => {
    server = await startClosingServer(() => 'reset');
    const error = await makeClient().broadcast('chat', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect(server.requests).toEqual([{ reused: false, action: 'reset' }]);
  });
});

describe('the rule, shared with the emulator\'s upstream caller', () => {
  test('only a reset or a refused write, only on a reused socket, only before any byte of the answer', () => {
    const stale = { errorCode: 'ECONNRESET', reusedSocket: true, answerStarted: false };
    expect(failedOnStaleConnection(stale)).toBe(true);
    expect(failedOnStaleConnection({ ...stale, errorCode: 'EPIPE' })).toBe(true);
    expect(failedOnStaleConnection({ ...stale, reusedSocket: false })).toBe(false);
    expect(failedOnStaleConnection({ ...stale, answerStarted: true })).toBe(false);
    for (const errorCode of ['ETIMEDOUT', 'ECONNABORTED', 'ERR_BAD_RESPONSE', undefined]) {
      expect(failedOnStaleConnection({ ...stale, errorCode })).toBe(false);
    }
  });
});
