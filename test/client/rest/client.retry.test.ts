import { inspect } from 'node:util';
import { accessKeyAuthorizer } from '../../../src/client/auth/authorizers';
import { TokenIssuer } from '../../../src/client/auth/tokens';
import { SignalRRestClient, type SignalRRestClientOptions } from '../../../src/client/rest/client';
import { SignalRNetworkError, SignalRServiceError, SignalRTimeoutError } from '../../../src/client/rest/errors';
import { backoffDelayMs, DEFAULT_RETRY_OPTIONS, isRetryable, parseRetryAfterMs } from '../../../src/client/rest/retryPolicy';
import { RecordingServer } from '../../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const payload = { target: 'm', arguments: ['x'] };

let server: RecordingServer;
const clients: SignalRRestClient[] = [];

/** Client with zero jitter (random = 0) so retries do not wait unless the server says so. */
function makeClient(options: Partial<SignalRRestClientOptions> = {}): SignalRRestClient {
  const client = new SignalRRestClient({
    endpoint: options.endpoint ?? server.url,
    authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)),
    random: () => 0,
    timeoutMs: 5000,
    ...options,
  });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(result instanceof Error)) throw new Error('expected the call to fail');
  return result;
}

beforeEach(async () => {
  server = await RecordingServer.start({ status: 200 });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

describe('idempotent calls (PUT / DELETE / HEAD)', () => {
  test('503 then 200: one retry', async () => {
    server.enqueue({ status: 503 }, { status: 200 });
    await makeClient().addUserToGroup('chat', 'u', 'g');
    expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'PUT']);
  });

  test.each([408, 429, 500, 502, 504])('%i is retried', async (status) => {
    server.enqueue({ status }, { status: 200 });
    await makeClient().removeUserFromAllGroups('chat', 'u');
    expect(server.requests).toHaveLength(2);
  });

  test.each([400, 401, 403, 413])('%i is not retried', async (status) => {
    server.enqueue({ status });
    const error = await failure(makeClient().removeUserFromGroup('chat', 'u', 'g'));
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(server.requests).toHaveLength(1);
  });

  test('a connection destroyed mid-request is retried', async () => {
    server.enqueue({ destroy: true }, { status: 200 });
    await expect(makeClient().connectionExists('chat', 'c')).resolves.toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  test('attempts are bounded', async () => {
    server.respondWith({ status: 503 });
    const error = await failure(makeClient({ retry: { maxAttempts: 3 } }).addConnectionToGroup('chat', 'g', 'c'));
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  test('every attempt carries a valid token and the same URL', async () => {
    server.enqueue({ status: 500 }, { status: 200 });
    await makeClient().removeConnectionFromAllGroups('chat', 'c');
    expect(new Set(server.requests.map((r) => r.rawUrl)).size).toBe(1);
    expect(server.requests.every((r) => String(r.headers.authorization).startsWith('Bearer '))).toBe(true);
  });
});

describe('sends and closes (POST) are never duplicated once the service may have processed them', () => {
  test('500 after the service received the send: not retried', async () => {
    server.enqueue({ status: 500, body: { code: 'Error', message: 'Internal error' } });
    const error = await failure(makeClient().sendToUser('chat', 'u', payload));
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(server.requests).toHaveLength(1);
  });

  test.each([408, 502, 504])('%i: not retried', async (status) => {
    server.enqueue({ status });
    await failure(makeClient().broadcast('chat', payload));
    expect(server.requests).toHaveLength(1);
  });

  test('503 without Retry-After: not retried', async () => {
    server.enqueue({ status: 503 });
    await failure(makeClient().sendToGroup('chat', 'g', payload));
    expect(server.requests).toHaveLength(1);
  });

  test('503 with Retry-After (refused for now): retried once, then 202', async () => {
    server.enqueue({ status: 503, headers: { 'retry-after': '0' } }, { status: 202 });
    await makeClient().sendToConnection('chat', 'c', payload);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body).toBe(server.requests[0]!.body);
  });

  test('429 (throttled, not processed): retried', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } }, { status: 202 });
    await makeClient().broadcast('chat', payload);
    expect(server.requests).toHaveLength(2);
  });

  test('socket destroyed after the request was received: not retried, network error', async () => {
    server.enqueue({ destroy: true }, { status: 202 });
    const error = await failure(makeClient().sendToUser('chat', 'u', payload));
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect(server.requests).toHaveLength(1);
  });

  test('closeConnections POST follows the same rule', async () => {
    server.enqueue({ status: 500 });
    await failure(makeClient().closeAllConnections('chat'));
    expect(server.requests).toHaveLength(1);
  });

  test('connection refused (nothing was sent): retried up to maxAttempts', async () => {
    const port = server.port;
    await server.close();
    const client = makeClient({ endpoint: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3 } });
    const error = await failure(client.sendToUser('chat', 'u', payload));
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', attempts: 3, operation: 'sendToUser', hub: 'chat' });
    server = await RecordingServer.start(); // afterEach closes it
  });
});

describe('Retry-After', () => {
  test('seconds are honoured: the retry waits at least that long', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    await makeClient().addUserToGroup('chat', 'u', 'g');
    expect(server.requests).toHaveLength(2);
    // A lower bound on a deliberate wait, not a performance figure.
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  test('a wait longer than maxRetryAfterMs is not attempted', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(makeClient({ retry: { maxRetryAfterMs: 1000 } }).broadcast('chat', payload));
    expect(error).toMatchObject({ status: 429 });
    expect(server.requests).toHaveLength(1);
  });

  test('a wait beyond the call budget ends the call with the real error, not a timeout', async () => {
    server.enqueue({ status: 503, headers: { 'retry-after': '5' } });
    const error = await failure(makeClient({ timeoutMs: 1000 }).addUserToGroup('chat', 'u', 'g'));
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(server.requests).toHaveLength(1);
  });

  test('parseRetryAfterMs: seconds, HTTP date, garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('backoff and policy units', () => {
  test('full jitter stays within the exponential ceiling', () => {
    const options = { ...DEFAULT_RETRY_OPTIONS, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, options, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, options, () => 0.999)).toBe(199);
    expect(backoffDelayMs(3, options, () => 0.999)).toBe(399);
    expect(backoffDelayMs(10, options, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, options, () => 0)).toBe(0);
  });

  test('policy table', () => {
    expect(isRetryable('idempotent', { kind: 'network', code: 'ECONNRESET' })).toBe(true);
    expect(isRetryable('nonIdempotent', { kind: 'network', code: 'ECONNRESET' })).toBe(false);
    expect(isRetryable('nonIdempotent', { kind: 'network' })).toBe(false);
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']) {
      expect(isRetryable('nonIdempotent', { kind: 'network', code })).toBe(true);
    }
    expect(isRetryable('nonIdempotent', { kind: 'status', status: 429 })).toBe(true);
    expect(isRetryable('nonIdempotent', { kind: 'status', status: 503, retryAfterMs: 0 })).toBe(true);
    expect(isRetryable('nonIdempotent', { kind: 'status', status: 503 })).toBe(false);
    expect(isRetryable('idempotent', { kind: 'status', status: 404 })).toBe(false);
  });
});

describe('timeouts and cancellation', () => {
  test('a server that never answers -> SignalRTimeoutError within the per-call timeout', async () => {
    server.respondWith({ hang: true });
    const error = await failure(makeClient({ timeoutMs: 300 }).sendToUser('chat', 'u', payload));
    expect(error).toBeInstanceOf(SignalRTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 300, operation: 'sendToUser', hub: 'chat', attempts: 1 });
    expect(error.message).toMatch(/sendToUser on hub 'chat' timed out after 300 ms/);
    expect(server.requests).toHaveLength(1);
  });

  test('per-call timeoutMs overrides the client default', async () => {
    server.respondWith({ hang: true });
    const error = await failure(makeClient({ timeoutMs: 60_000 }).userExists('chat', 'u', { timeoutMs: 200 }));
    expect(error).toMatchObject({ name: 'SignalRTimeoutError', timeoutMs: 200 });
  });

  test('the budget covers retries: slow 503s end in a timeout, not in endless retries', async () => {
    server.respondWith({ status: 503, delayMs: 150 });
    const error = await failure(makeClient({ timeoutMs: 400, retry: { maxAttempts: 100 } }).addUserToGroup('chat', 'u', 'g'));
    expect(error).toBeInstanceOf(SignalRTimeoutError);
    expect(server.requests.length).toBeLessThan(5);
  });

  test('a caller abort rejects with the abort reason', async () => {
    server.respondWith({ hang: true });
    const controller = new AbortController();
    const call = makeClient().broadcast('chat', payload, { signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow('caller gave up');
  });

  test('an already aborted signal sends nothing', async () => {
    const error = await failure(makeClient().broadcast('chat', payload, { signal: AbortSignal.abort(new Error('no')) }));
    expect(error.message).toBe('no');
    expect(server.requests).toHaveLength(0);
  });
});

describe('error mapping and secrecy', () => {
  test('status, x-ms-error-code, service message, operation and hub', async () => {
    server.enqueue({
      status: 403,
      headers: { 'x-ms-error-code': 'Error.Auth.Forbidden' },
      body: { code: 'Forbidden', message: 'Not allowed to send', target: null, details: null, inner: null },
    });
    const error = (await failure(makeClient().sendToGroup('Chat', 'g', payload))) as SignalRServiceError;
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(error).toMatchObject({ status: 403, errorCode: 'Error.Auth.Forbidden', serviceMessage: 'Not allowed to send', operation: 'sendToGroup', hub: 'chat' });
    expect(error.message).toBe("SignalR Service sendToGroup on hub 'chat' failed with HTTP 403 (Error.Auth.Forbidden): Not allowed to send");
  });

  test('a non-JSON body is used as the message (trimmed and capped)', async () => {
    server.enqueue({ status: 400, body: `  bad ${'x'.repeat(1000)}` });
    const error = (await failure(makeClient().broadcast('chat', payload))) as SignalRServiceError;
    expect(error.serviceMessage!.startsWith('bad x')).toBe(true);
    expect(error.serviceMessage!.length).toBeLessThanOrEqual(503);
  });

  test('neither the token nor the key appears in errors, even when the server echoes the token', async () => {
    server.respondWith((request) => ({ status: 401, body: { message: `invalid token ${String(request.headers.authorization)}` } }));
    const error = await failure(makeClient().sendToUser('chat', 'u', payload));
    const token = String(server.requests[0]!.headers.authorization).slice(7);
    for (const text of [error.message, inspect(error, { depth: 10 }), JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(KEY);
    }
    expect(error.message).toContain('<redacted-token>');
  });

  test('network errors carry no token either', async () => {
    server.enqueue({ destroy: true });
    const error = await failure(makeClient().broadcast('chat', payload));
    const token = String(server.requests[0]!.headers.authorization).slice(7);
    expect(inspect(error, { depth: 10 })).not.toContain(token);
    expect(error.message).toMatch(/broadcast on hub 'chat'/);
  });
});
