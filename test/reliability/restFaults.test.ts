/**
 * Faults between the adapter's REST client and the service, injected by a real proxy in front of a real
 * HTTP server: connection refused, reset before / after the service acted, stalls past the timeout,
 * 429 with Retry-After, 500/503 bursts.
 *
 * What is retried and why (the policy under test, src/client/rest/retryPolicy.ts):
 * - HEAD / PUT / DELETE are idempotent: repeating them cannot change the end state, so every network
 *   failure, 408, 429 and 5xx is retried, within maxAttempts and the call's time budget.
 * - POST sends and :closeConnections are not: a repeat after the service accepted the first attempt
 *   would deliver the message twice. They are retried only when the service certainly did not act:
 *   connection refused (no byte was sent), 429, and 503 with Retry-After. A reset, a bare 5xx or a stall
 *   surfaces as an error instead, because the service may already have fanned the message out.
 * The invariant the property test checks: a send reaches the service at most once, whatever the faults.
 */
import fc from 'fast-check';
import { SignalRRestClient } from '../../src/client/rest/client';
import { SignalRNetworkError, SignalRServiceError, SignalRTimeoutError } from '../../src/client/rest/errors';
import { accessKeyAuthorizer } from '../../src/client/auth/authorizers';
import { TokenIssuer } from '../../src/client/auth/tokens';
import { startFaultProxy, type FaultMode, type FaultProxy, type ScriptedResponse } from '../support/faultProxy';
import { startStubService, type StubService } from '../support/stubService';
import { FigureRecorder } from '../support/reliabilityFigures';

const ACCESS_KEY = 'FaultTestKey0123456789ABCDEFGHIJKLMNOPQRSTUV';
const MAX_ATTEMPTS = 4;
const figures = new FigureRecorder('rest-faults');

let service: StubService;
let proxy: FaultProxy;
let client: SignalRRestClient;

function newClient(timeoutMs = 3_000, baseDelayMs = 20): SignalRRestClient {
  return new SignalRRestClient({
    endpoint: proxy.url,
    authorizer: accessKeyAuthorizer(new TokenIssuer(ACCESS_KEY)),
    timeoutMs,
    retry: { maxAttempts: MAX_ATTEMPTS, baseDelayMs, maxDelayMs: 100, maxRetryAfterMs: 10_000 },
    // Deterministic backoff: always the ceiling.
    random: () => 1,
  });
}

const sendsReached = (): number => service.count('POST', /\/api\/hubs\/chat\/users\/u1\/:send$/);
const putsReached = (): number => service.count('PUT', /\/api\/hubs\/chat\/users\/u1\/groups\/g1$/);
const payload = { target: 'newMessage', arguments: ['hello'] };
const send = (c: SignalRRestClient = client): Promise<void> => c.sendToUser('chat', 'u1', payload);
const put = (c: SignalRRestClient = client): Promise<void> => c.addUserToGroup('chat', 'u1', 'g1');

const status = (code: number, headers?: Record<string, string>): ScriptedResponse => ({
  status: code,
  headers,
  body: JSON.stringify({ code: 'Error', message: `scripted ${code}` }),
});
const burst = (n: number, code: number, headers?: Record<string, string>): ScriptedResponse[] =>
  Array.from({ length: n }, () => status(code, headers));

/** After a fault is over, the very same client must work again (no restart, no new instance). */
async function expectRecovered(): Promise<void> {
  await proxy.setMode({ kind: 'pass' });
  const before = sendsReached();
  await expect(send()).resolves.toBeUndefined();
  expect(sendsReached()).toBe(before + 1);
}

/** Counts the faults this test injected as survived once all its assertions held. */
function survived(): void {
  const injected = proxy.stats.faultsInjected;
  figures.add('faultsInjected', injected);
  figures.add('faultsSurvived', injected);
}

beforeAll(async () => {
  service = await startStubService();
  proxy = await startFaultProxy({ target: service.url });
  client = newClient();
});

afterAll(async () => {
  client.close();
  await proxy.close();
  await service.close();
  figures.save();
});

beforeEach(async () => {
  await proxy.setMode({ kind: 'pass' });
  proxy.resetStats();
  service.requests.length = 0;
});

describe('idempotent calls (PUT / DELETE / HEAD) are retried through transient faults', () => {
  const transient: Array<[string, FaultMode]> = [
    ['reset before the service saw it (x2)', { kind: 'reset-before-forward', times: 2 }],
    ['reset after the service acted (x2)', { kind: 'reset-after-forward', times: 2 }],
    ['a burst of 3 x 500', { kind: 'script', responses: burst(3, 500) }],
    ['a burst of 3 x 503', { kind: 'script', responses: burst(3, 503) }],
    ['502 then 504', { kind: 'script', responses: [status(502), status(504)] }],
    ['429 with Retry-After: 0', { kind: 'script', responses: burst(2, 429, { 'retry-after': '0' }) }],
    ['a response delayed below the timeout', { kind: 'delay', ms: 200, times: 1 }],
  ];

  it.each(transient)('PUT survives %s', async (_name, mode) => {
    await proxy.setMode(mode);
    await expect(put()).resolves.toBeUndefined();
    expect(putsReached()).toBeGreaterThanOrEqual(1);
    await expectRecovered();
    survived();
  });

  it('DELETE and HEAD survive a 503 burst too', async () => {
    await proxy.script(burst(3, 503));
    await expect(client.removeUserFromGroup('chat', 'u1', 'g1')).resolves.toBeUndefined();
    await proxy.script(burst(3, 500));
    await expect(client.userExists('chat', 'u1')).resolves.toBe(true);
    expect(service.count('DELETE', /groups\/g1$/)).toBe(1);
    expect(service.count('HEAD', /users\/u1$/)).toBe(1);
    survived();
  });

  it('a connection refused while the service restarts is retried until it listens again', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const slow = newClient(5_000, 100);
    const call = put(slow);
    // The service comes back while the client is backing off.
    setTimeout(() => void proxy.setMode({ kind: 'pass' }), 150);
    await expect(call).resolves.toBeUndefined();
    expect(putsReached()).toBe(1);
    slow.close();
    survived();
  });

  it('gives up after maxAttempts with the last status, when a 503 burst outlasts the attempts', async () => {
    await proxy.script(burst(MAX_ATTEMPTS + 2, 503));
    const error = await put().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(error).toMatchObject({ status: 503, attempts: MAX_ATTEMPTS });
    expect(putsReached()).toBe(0);
    // The two scripted answers left over are consumed here, then the service answers again.
    await proxy.setMode({ kind: 'pass' });
    await expectRecovered();
    survived();
  });
});

describe('sends (POST) are never duplicated by a retry', () => {
  it('a reset after the service accepted the send is reported, not retried: delivered exactly once', async () => {
    await proxy.setMode({ kind: 'reset-after-forward', times: 1 });
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRNetworkError);
    expect((error as SignalRNetworkError).attempts).toBe(1);
    expect(sendsReached()).toBe(1);
    await expectRecovered();
    survived();
  });

  it('a reset before the service saw it is reported too (the client cannot tell the two apart)', async () => {
    await proxy.setMode({ kind: 'reset-before-forward', times: 1 });
    await expect(send()).rejects.toBeInstanceOf(SignalRNetworkError);
    expect(sendsReached()).toBe(0);
    await expectRecovered();
    survived();
  });

  it.each([500, 502, 503, 504])('a bare %i is reported after one attempt', async (code) => {
    await proxy.script([status(code)]);
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(error).toMatchObject({ status: code, attempts: 1 });
    await expectRecovered();
    survived();
  });

  it.each([
    ['429 with Retry-After', 429],
    ['503 with Retry-After', 503],
  ])('%s is retried (the service refused it without acting) and delivered once', async (_name, code) => {
    await proxy.script(burst(2, code, { 'retry-after': '0' }));
    await expect(send()).resolves.toBeUndefined();
    expect(sendsReached()).toBe(1);
    expect(proxy.stats.requests).toHaveLength(3);
    survived();
  });

  it('a Retry-After of 1 second is honoured and the send then goes through once', async () => {
    await proxy.script([status(429, { 'retry-after': '1' })]);
    await expect(send()).resolves.toBeUndefined();
    expect(sendsReached()).toBe(1);
    survived();
  });

  it('a Retry-After beyond the call budget is not waited for: the 429 is reported', async () => {
    await proxy.script([status(429, { 'retry-after': '60' })]);
    const error = await send().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, attempts: 1 });
    expect(sendsReached()).toBe(0);
    survived();
  });

  it('connection refused is safe to retry for a send: nothing was written', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const slow = newClient(5_000, 100);
    const call = send(slow);
    setTimeout(() => void proxy.setMode({ kind: 'pass' }), 150);
    await expect(call).resolves.toBeUndefined();
    expect(sendsReached()).toBe(1);
    slow.close();
    survived();
  });

  it('a service that stalls past the timeout yields a timeout error within the budget, then recovers', async () => {
    await proxy.setMode({ kind: 'stall' });
    const quick = newClient(400);
    const started = Date.now();
    const error = await send(quick).catch((e: unknown) => e);
    // The budget is a functional bound (not a performance figure): the call must not hang.
    expect(Date.now() - started).toBeLessThan(400 + 2_000);
    expect(error).toBeInstanceOf(SignalRTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 400 });
    expect(sendsReached()).toBe(0);
    quick.close();
    await expectRecovered();
    survived();
  });

  it('an idempotent call that keeps failing stops at the budget, not later', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const quick = newClient(600, 100);
    const started = Date.now();
    const error = await put(quick).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(600 + 2_000);
    expect(error instanceof SignalRNetworkError || error instanceof SignalRTimeoutError).toBe(true);
    quick.close();
    await expectRecovered();
    survived();
  });
});

describe('random fault sequences (property)', () => {
  type Fault = 'reset-before' | 'reset-after' | '500' | '503' | '503-retry-after' | '429-retry-after';
  const faultArb = fc.constantFrom<Fault>('reset-before', 'reset-after', '500', '503', '503-retry-after', '429-retry-after');

  /** Applies the faults one per request, in order, then passes. */
  async function arm(faults: readonly Fault[]): Promise<void> {
    const chain = faults.reduceRight<FaultMode>((then, f) => {
      switch (f) {
        case 'reset-before':
          return { kind: 'reset-before-forward', times: 1, then };
        case 'reset-after':
          return { kind: 'reset-after-forward', times: 1, then };
        case '500':
          return { kind: 'script', responses: [status(500)], then };
        case '503':
          return { kind: 'script', responses: [status(503)], then };
        case '503-retry-after':
          return { kind: 'script', responses: [status(503, { 'retry-after': '0' })], then };
        case '429-retry-after':
          return { kind: 'script', responses: [status(429, { 'retry-after': '0' })], then };
      }
    }, { kind: 'pass' });
    await proxy.setMode(chain);
  }

  it('a send reaches the service at most once, and exactly once when the call resolves', async () => {
    const quick = newClient(3_000, 1);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(faultArb, { maxLength: 5 }), async (faults) => {
        runs += 1;
        await arm(faults);
        proxy.resetStats();
        service.requests.length = 0;
        const outcome = await send(quick).then(
          () => 'ok' as const,
          (e: unknown) => e,
        );
        const reached = sendsReached();
        expect(reached).toBeLessThanOrEqual(1);
        if (outcome === 'ok') expect(reached).toBe(1);
        else expect(outcome).toBeInstanceOf(Error);
        figures.add('faultsInjected', proxy.stats.faultsInjected);
        figures.add('faultsSurvived', proxy.stats.faultsInjected);
      }),
      { numRuns: 60 },
    );
    figures.add('fuzzCases', runs);
    quick.close();
    await expectRecovered();
  });

  it('an idempotent call succeeds whenever the faults in a row are fewer than maxAttempts', async () => {
    const quick = newClient(3_000, 1);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(faultArb, { maxLength: MAX_ATTEMPTS - 1 }), async (faults) => {
        runs += 1;
        await arm(faults);
        proxy.resetStats();
        service.requests.length = 0;
        await expect(put(quick)).resolves.toBeUndefined();
        expect(putsReached()).toBeGreaterThanOrEqual(1);
        figures.add('faultsInjected', proxy.stats.faultsInjected);
        figures.add('faultsSurvived', proxy.stats.faultsInjected);
      }),
      { numRuns: 60 },
    );
    figures.add('fuzzCases', runs);
    quick.close();
  });
});
