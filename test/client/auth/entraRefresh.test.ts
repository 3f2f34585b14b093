/**
 * Entra ID: the Entra token and the temporary access key from `GET /api/v1/auth/accessKey`, refreshed under the
 * REST client's policy (time budget, retries, abort) and shared by concurrent callers. A real local HTTP server
 * stands for the service's access-key endpoint; a fake credential stands for @azure/identity (Azure itself is the
 * only thing mocked). Time is a clock the test moves.
 */
import { inspect } from 'node:util';
import jwt from 'jsonwebtoken';
import { ACCESS_KEY_REFRESH_MS, ACCESS_KEY_USABLE_MS, EntraAccessKeySource, EntraAuthError, EntraTokenSource, type AccessTokenLike, type TokenCredentialLike } from '../../../src/client/auth/entra';
import type { TokenIssuer } from '../../../src/client/auth/tokens';
import { RecordingServer, type ScriptedResponse } from '../../support/recordingServer';

const ENTRA_TOKEN = 'entra-token-value-that-must-stay-secret';
const HOUR = 60 * 60_000;

/** Stands in for an @azure/identity credential: tokens valid for an hour of the test's clock, or scripted failures. */
class FakeCredential implements TokenCredentialLike {
  calls = 0;
  readonly failures: Error[] = [];
  /** When set, getToken waits for it (or for the abort signal it was given). */
  hold?: Promise<void>;
  readonly signals: Array<AbortSignal | undefined> = [];

  constructor(private readonly clock: { now: number }) {}

  async getToken(_scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<AccessTokenLike> {
    this.calls += 1;
    this.signals.push(options?.abortSignal);
    if (this.hold !== undefined) await this.hold;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    return { token: `${ENTRA_TOKEN}-${this.calls}`, expiresOnTimestamp: this.clock.now + HOUR };
  }
}

const keyResponse = (n: number): ScriptedResponse => ({ status: 200, body: { KeyId: `kid-${n}`, AccessKey: `temporary-access-key-${n}` } });

/** Which key an issuer signs with: the `kid` of a client token it makes, checked against that key. */
function keyIdOf(issuer: TokenIssuer): string {
  const token = issuer.clientToken({ audience: 'http://x/client/?hub=chat' });
  const decoded = jwt.decode(token, { complete: true });
  const kid = String(decoded?.header.kid);
  jwt.verify(token, `temporary-access-key-${kid.slice(4)}`);
  return kid;
}

let server: RecordingServer;
let clock: { now: number };
let credential: FakeCredential;
const sources: EntraAccessKeySource[] = [];

function keySource(options: { timeoutMs?: number; maxAttempts?: number } = {}): EntraAccessKeySource {
  const now = (): number => clock.now;
  const tokens = new EntraTokenSource(credential, { now, timeoutMs: options.timeoutMs ?? 2_000 });
  const source = new EntraAccessKeySource(server.url, tokens, {
    now,
    timeoutMs: options.timeoutMs ?? 2_000,
    retry: { maxAttempts: options.maxAttempts ?? 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  sources.push(source);
  return source;
}

const keyRequests = (): number => server.requests.filter((r) => r.rawPath === '/api/v1/auth/accessKey').length;

/** Resolves once `source` signs with key `kid` (a refresh running in the background has landed). */
async function eventuallySignsWith(source: EntraAccessKeySource, kid: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (keyIdOf(await source.issuer()) !== kid) {
    if (Date.now() > deadline) throw new Error(`the source never signed with ${kid}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeEach(async () => {
  clock = { now: Date.parse('2026-03-01T00:00:00Z') };
  credential = new FakeCredential(clock);
  let served = 0;
  server = await RecordingServer.start(() => keyResponse(++served));
});

afterEach(async () => {
  for (const source of sources.splice(0)) source.close();
  await server.close();
});

describe('expiry and refresh', () => {
  test('the key is fetched once with the Entra token, kept 55 minutes, then refreshed while the old one still signs', async () => {
    const source = keySource();
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${ENTRA_TOKEN}-1`);
    expect(server.requests[0]!.rawUrl).toBe('/api/v1/auth/accessKey');

    clock.now += ACCESS_KEY_REFRESH_MS - 1_000;
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    expect(keyRequests()).toBe(1);

    // Past 55 minutes: the caller is not held up, the refresh runs behind it.
    clock.now += 2_000;
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    await eventuallySignsWith(source, 'kid-2');
    expect(keyRequests()).toBe(2);
  });

  test('past 120 minutes the old key is not used any more: callers wait for the new one', async () => {
    const source = keySource();
    await source.issuer();
    clock.now += ACCESS_KEY_USABLE_MS + 1;
    expect(keyIdOf(await source.issuer())).toBe('kid-2');
  });

  test('the Entra token is refreshed behind its callers from 5 minutes before it expires, and awaited in its last minute', async () => {
    const tokens = new EntraTokenSource(credential, { now: () => clock.now });
    expect(await tokens.token()).toBe(`${ENTRA_TOKEN}-1`);
    clock.now += HOUR - 4 * 60_000;
    expect(await tokens.token()).toBe(`${ENTRA_TOKEN}-1`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await tokens.token()).toBe(`${ENTRA_TOKEN}-2`);
    clock.now += HOUR - 30_000; // token 2 has 30 s left: too little to hand out
    expect(await tokens.token()).toBe(`${ENTRA_TOKEN}-3`);
    expect(credential.calls).toBe(3);
  });
});

describe('a failed refresh followed by a successful one', () => {
  test('the first fetch rides through a 503 and a reset: the GET is idempotent, so the policy retries it', async () => {
    server.enqueue({ status: 503 }, { destroy: true });
    expect(keyIdOf(await keySource().issuer())).toMatch(/^kid-\d$/);
    expect(keyRequests()).toBe(3);
  });

  test('a refused fetch is a clear error; the next call fetches again and succeeds', async () => {
    server.enqueue({ status: 403 });
    const source = keySource();
    const error = await source.issuer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraAuthError);
    expect((error as Error).message).toMatch(/HTTP 403.*SignalR App Server role/);
    expect(keyRequests()).toBe(1); // 403 is not retried
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
  });

  test('a refresh that fails keeps the old key signing; a later refresh replaces it', async () => {
    const source = keySource({ maxAttempts: 2 });
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    clock.now += ACCESS_KEY_REFRESH_MS + 1;
    let failing = true;
    server.respondWith((request) => (failing ? { status: 500 } : keyResponse(request.index)));
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    await server.waitForRequests(3); // the refresh and its retry, both refused
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
    failing = false;
    // The failed refresh left kid-1 in place; a later call starts another refresh, which succeeds.
    await eventuallySignsWith(source, `kid-${server.requests.length}`);
  });

  test('an expired key whose refresh fails is an error, not a stale key; the next success brings a new one', async () => {
    const source = keySource({ maxAttempts: 1 });
    await source.issuer();
    clock.now += ACCESS_KEY_USABLE_MS + 1;
    server.enqueue({ status: 502 });
    await expect(source.issuer()).rejects.toThrow(EntraAuthError);
    expect(keyIdOf(await source.issuer())).toBe('kid-2');
  });

  test('a credential that fails once: the Entra token is fetched again on the next call', async () => {
    credential.failures.push(new Error('managed identity endpoint not reachable'));
    const source = keySource({ maxAttempts: 1 });
    await expect(source.issuer()).rejects.toThrow(/managed identity endpoint not reachable/);
    expect(keyRequests()).toBe(0);
    expect(keyIdOf(await source.issuer())).toBe('kid-1');
  });
});

describe('time budget', () => {
  test('a key endpoint that never answers fails within the budget', async () => {
    server.respondWith({ hang: true });
    const error = await keySource({ timeoutMs: 300 }).issuer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraAuthError);
    expect((error as Error).message).toMatch(/timed out after 300 ms/);
  });

  test('the key request\'s budget covers getting the Entra token', async () => {
    credential.hold = new Promise(() => undefined);
    const error = await keySource({ timeoutMs: 300 }).issuer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraAuthError);
    expect((error as Error).message).toMatch(/getAccessKey timed out after 300 ms/);
    expect(keyRequests()).toBe(0);
  });

  test('a credential that never answers fails within its own budget, even when it ignores the abort signal', async () => {
    credential.hold = new Promise(() => undefined);
    const tokens = new EntraTokenSource(credential, { timeoutMs: 300 });
    const error = await tokens.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraAuthError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
    expect(credential.signals[0]?.aborted).toBe(true);
  });
});

describe('concurrent callers with different abort signals', () => {
  test('one fetch for all; the caller that aborts gets its own reason, the others get the key', async () => {
    server.respondWith((request) => ({ ...keyResponse(request.index + 1), delayMs: 300 }));
    const source = keySource();
    const leaving = new AbortController();
    const staying = new AbortController();
    const calls = [source.issuer(leaving.signal), source.issuer(staying.signal), source.issuer()];
    await server.waitForRequests(1);
    leaving.abort(new Error('this caller gave up'));
    const [left, stayed, plain] = await Promise.allSettled(calls);
    expect(left).toMatchObject({ status: 'rejected', reason: new Error('this caller gave up') });
    expect(stayed.status === 'fulfilled' && keyIdOf(stayed.value)).toBe('kid-1');
    expect(plain.status === 'fulfilled' && keyIdOf(plain.value)).toBe('kid-1');
    expect(keyRequests()).toBe(1);
    expect(credential.calls).toBe(1);
  });

  test('a caller aborting while the Entra token is being fetched does not abort the credential call', async () => {
    let release: () => void = () => undefined;
    credential.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tokens = new EntraTokenSource(credential, { now: () => clock.now });
    const leaving = new AbortController();
    const first = tokens.token(leaving.signal);
    const second = tokens.token();
    leaving.abort(new Error('gone'));
    release();
    await expect(first).rejects.toThrow('gone');
    await expect(second).resolves.toBe(`${ENTRA_TOKEN}-1`);
    expect(credential.signals[0]?.aborted).toBe(false);
    expect(credential.calls).toBe(1);
  });

  test('an already aborted signal fetches nothing', async () => {
    await expect(keySource().issuer(AbortSignal.abort(new Error('no')))).rejects.toThrow('no');
    expect(keyRequests()).toBe(0);
  });
});

describe('no token or key in errors', () => {
  test('a service that echoes the Entra token and a key in its refusal: neither reaches the error', async () => {
    server.respondWith((request) => ({ status: 401, body: { message: `token ${String(request.headers.authorization)} key temporary-access-key-9` } }));
    const error = await keySource().issuer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraAuthError);
    for (const text of [(error as Error).message, inspect(error, { depth: 10 }), JSON.stringify(error), String((error as Error).stack)]) {
      expect(text).not.toContain(ENTRA_TOKEN);
    }
  });

  test('a network failure names the URL and what happened, without the token', async () => {
    server.respondWith({ destroy: true });
    const error = await keySource({ maxAttempts: 2 }).issuer().catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${server.url}/api/v1/auth/accessKey`);
    expect((error as Error).message).toMatch(/ECONNRESET|socket hang up/);
    expect(inspect(error, { depth: 10 })).not.toContain(ENTRA_TOKEN);
  });

  test('a failing credential\'s error is reported without any token', async () => {
    credential.failures.push(new Error('AADSTS700016: application not found'));
    const error = await keySource({ maxAttempts: 1 }).issuer().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/could not get a Microsoft Entra token .*AADSTS700016/);
    expect(inspect(error, { depth: 10 })).not.toContain(ENTRA_TOKEN);
  });
});
