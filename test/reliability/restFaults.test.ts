/**
 * Faults between the adapter's REST client and the service, injected by a real proxy in front of a real
 * HTTP server: connection refused, reset before / after the service acted, an answer cut short, stalls past the
 * timeout, 429 with Retry-After, 500/503 bursts.
 *
 * What is retried and why (the policy under test, src/client/rest/retryPolicy.ts):
 * - HEAD / PUT / DELETE are idempotent: repeating them cannot change the end state, so every network
 *   failure, 408, 429 and 5xx is retried, within maxAttempts and the call's time budget.
 * - POST sends and :closeConnections are not: a repeat after the service accepted the first attempt
 *   would deliver the message twice. They are retried only when the service certainly did not act:
 *   connection refused (no byte was sent), 429, 503 with Retry-After, and a reused kept-alive connection closed
 *   before any byte of the answer (src/contract/staleConnections.ts: resent once on a fresh connection). A reset
 *   on a fresh connection, an answer cut short, a bare 5xx or a stall surfaces as an error instead, because the
 *   service may already have fanned the message out.
 *
 * Every injected fault is settled with the outcome it must lead to (test/support/faultLedger.ts); the property
 * tests derive it from the policy and from what the proxy saw (which requests came on reused connections).
 */
import fc from 'fast-check';
import { SignalRRestClient } from '../../src/client/rest/client';
import { SignalRNetworkError, SignalRServiceError, SignalRTimeoutError } from '../../src/client/rest/errors';
import { accessKeyAuthorizer } from '../../src/client/auth/authorizers';
import { TokenIssuer } from '../../src/client/auth/tokens';
import { startFaultProxy, type FaultMode, type FaultProxy, type ProxiedRequestRecord, type ScriptedResponse } from '../support/faultProxy';
import { startStubService, type StubService } from '../support/stubService';
import { FigureRecorder } from '../support/reliabilityFigures';
import { FaultLedger, failedWith, RECOVERED, type Outcome } from '../support/faultLedger';

const ACCESS_KEY = 'FaultTestKey0123456789ABCDEFGHIJKLMNOPQRSTUV';
const MAX_ATTEMPTS = 4;
const figures = new FigureRecorder('rest-faults');
const ledger = new FaultLedger(figures);

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

/** What the caller saw: the HTTP status of a service error, else the error's name. */
function statusOf(error: unknown): number | string {
  if (error instanceof SignalRServiceError) return error.status;
  return error instanceof Error ? error.name : String(error);
}

/**
 * Runs `call` and observes its outcome: how it ended for the caller, and how many times it reached the service.
 * For an idempotent call, reaching the service several times leaves one end state: it counts as one delivery.
 */
async function observe(call: () => Promise<unknown>, reached: () => number, idempotent = false): Promise<Outcome> {
  const before = reached();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const times = reached() - before;
  const deliveries = idempotent ? Math.min(times, 1) : times;
  return error === undefined ? { result: 'recovered', deliveries } : failedWith(statusOf(error), deliveries);
}
const observeSend = (c: SignalRRestClient = client): Promise<Outcome> => observe(() => send(c), sendsReached);
const observePut = (c: SignalRRestClient = client): Promise<Outcome> => observe(() => put(c), putsReached, true);

/** After a fault is over, the very same client must work again (no restart, no new instance). */
async function expectRecovered(c: SignalRRestClient = client): Promise<void> {
  await proxy.setMode({ kind: 'pass' });
  expect(await observeSend(c)).toEqual(RECOVERED);
}

/** Puts a kept-alive connection in the client's pool, so that its next request reuses it. */
async function warmUp(c: SignalRRestClient): Promise<void> {
  await proxy.setMode({ kind: 'pass' });
  // A send, not the HEAD health check: Node keeps no connection after an answer to HEAD without Content-Length.
  await c.sendToUser('chat', 'warm-up', payload);
  // Node returns the socket to the pool on the tick after the answer ended.
  await new Promise((resolve) => setImmediate(resolve));
}

const lastRequest = (): ProxiedRequestRecord => proxy.stats.requests[proxy.stats.requests.length - 1]!;

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

afterEach(() => {
  ledger.unsettled(proxy.drainFaults());
});

describe('idempotent calls (PUT / DELETE / HEAD) are retried through transient faults', () => {
  const transient: Array<[string, FaultMode]> = [
    ['reset before the service saw it (x2)', { kind: 'reset-before-forward', times: 2 }],
    ['reset after the service acted (x2)', { kind: 'reset-after-forward', times: 2 }],
    ['an answer cut short after the service acted (x2)', { kind: 'cut-mid-answer', times: 2 }],
    ['a burst of 3 x 500', { kind: 'script', responses: burst(3, 500) }],
    ['a burst of 3 x 503', { kind: 'script', responses: burst(3, 503) }],
    ['502 then 504', { kind: 'script', responses: [status(502), status(504)] }],
    ['429 with Retry-After: 0', { kind: 'script', responses: burst(2, 429, { 'retry-after': '0' }) }],
    ['a response delayed below the timeout', { kind: 'delay', ms: 200, times: 1 }],
  ];

  it.each(transient)('PUT survives %s', async (_name, mode) => {
    await proxy.setMode(mode);
    ledger.settle(RECOVERED, await observePut(), proxy.drainFaults());
    await expectRecovered();
  });

  it('DELETE and HEAD survive a 503 burst too', async () => {
    await proxy.script(burst(3, 503));
    const removed = await observe(() => client.removeUserFromGroup('chat', 'u1', 'g1'), () => service.count('DELETE', /groups\/g1$/), true);
    ledger.settle(RECOVERED, removed, proxy.drainFaults());
    await proxy.script(burst(3, 500));
    let exists: boolean | undefined;
    const checked = await observe(async () => (exists = await client.userExists('chat', 'u1')), () => service.count('HEAD', /users\/u1$/), true);
    ledger.settle(RECOVERED, checked, proxy.drainFaults());
    expect(exists).toBe(true);
  });

  it('a connection refused while the service restarts is retried until it listens again', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const slow = newClient(5_000, 100);
    // The service comes back while the client is backing off.
    setTimeout(() => void proxy.setMode({ kind: 'pass' }), 150);
    ledger.settle(RECOVERED, await observePut(slow), proxy.drainFaults());
    slow.close();
  });

  it('gives up after maxAttempts with the last status, when a 503 burst outlasts the attempts', async () => {
    await proxy.script(burst(MAX_ATTEMPTS + 2, 503));
    const error = await put().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, attempts: MAX_ATTEMPTS });
    ledger.settle(failedWith(503, 0), failedWith(statusOf(error), putsReached()), proxy.drainFaults());
    // The two scripted answers left over are dropped here (never injected), then the service answers again.
    await expectRecovered();
  });
});

describe('sends (POST) are never duplicated by a retry', () => {
  it('an answer cut short after the service accepted the send is reported, not retried: delivered exactly once', async () => {
    await proxy.setMode({ kind: 'cut-mid-answer', times: 1 });
    ledger.settle(failedWith('SignalRNetworkError', 1), await observeSend(), proxy.drainFaults());
    expect(proxy.stats.requests).toHaveLength(1);
    await expectRecovered();
  });

  it('a reset after the service accepted the send, on a fresh connection, is reported: delivered exactly once', async () => {
    const fresh = newClient();
    await proxy.setMode({ kind: 'reset-after-forward', times: 1 });
    ledger.settle(failedWith('SignalRNetworkError', 1), await observeSend(fresh), proxy.drainFaults());
    expect(lastRequest().reusedConnection).toBe(false);
    await expectRecovered(fresh);
    fresh.close();
  });

  it('a reset before the service saw it, on a fresh connection, is reported (it could have come after)', async () => {
    const fresh = newClient();
    await proxy.setMode({ kind: 'reset-before-forward', times: 1 });
    ledger.settle(failedWith('SignalRNetworkError', 0), await observeSend(fresh), proxy.drainFaults());
    expect(proxy.stats.requests.map((r) => r.reusedConnection)).toEqual([false]);
    await expectRecovered(fresh);
    fresh.close();
  });

  it('a reused connection closed as the send arrives is resent once on a fresh connection: delivered exactly once', async () => {
    await warmUp(client);
    proxy.resetStats();
    await proxy.setMode({ kind: 'reset-before-forward', times: 1 });
    ledger.settle(RECOVERED, await observeSend(), proxy.drainFaults());
    expect(proxy.stats.requests.map((r) => [r.handledBy, r.reusedConnection])).toEqual([
      ['reset-before-forward', true],
      ['pass', false],
    ]);
  });

  it('the rule\'s blind spot, shown rather than counted: a service that acted before a reused connection broke gets the send twice', async () => {
    // A proxy that forwarded the send and lost the reused connection before the first byte of the answer looks,
    // to the client, like an idle connection closed under it (src/contract/staleConnections.ts). Not a fault the
    // client survives, so it is not in the survived figure; the README states it.
    await warmUp(client);
    await proxy.setMode({ kind: 'reset-after-forward', times: 1 });
    expect(await observeSend()).toEqual({ result: 'recovered', deliveries: 2 });
    proxy.drainFaults();
    figures.detail('staleRuleBlindSpotShown', 1);
  });

  it.each([500, 502, 503, 504])('a bare %i is reported after one attempt', async (code) => {
    await proxy.script([status(code)]);
    const error = await send().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: code, attempts: 1 });
    ledger.settle(failedWith(code, 0), failedWith(statusOf(error), sendsReached()), proxy.drainFaults());
    await expectRecovered();
  });

  it.each([
    ['429 with Retry-After', 429],
    ['503 with Retry-After', 503],
  ])('%s is retried (the service refused it without acting) and delivered once', async (_name, code) => {
    await proxy.script(burst(2, code, { 'retry-after': '0' }));
    ledger.settle(RECOVERED, await observeSend(), proxy.drainFaults());
    expect(proxy.stats.requests).toHaveLength(3);
  });

  it('a Retry-After of 1 second is honoured and the send then goes through once', async () => {
    await proxy.script([status(429, { 'retry-after': '1' })]);
    ledger.settle(RECOVERED, await observeSend(), proxy.drainFaults());
  });

  it('a Retry-After beyond the call budget is not waited for: the 429 is reported', async () => {
    await proxy.script([status(429, { 'retry-after': '60' })]);
    ledger.settle(failedWith(429, 0), await observeSend(), proxy.drainFaults());
  });

  it('connection refused is safe to retry for a send: nothing was written', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const slow = newClient(5_000, 100);
    setTimeout(() => void proxy.setMode({ kind: 'pass' }), 150);
    ledger.settle(RECOVERED, await observeSend(slow), proxy.drainFaults());
    slow.close();
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
    ledger.settle(failedWith('SignalRTimeoutError', 0), failedWith(statusOf(error), sendsReached()), proxy.drainFaults());
    quick.close();
    await expectRecovered();
  });

  it('an idempotent call that keeps failing stops at the budget, not later', async () => {
    await proxy.setMode({ kind: 'refuse' });
    const quick = newClient(600, 100);
    const started = Date.now();
    const error = await put(quick).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(600 + 2_000);
    // Which of the two depends on where the deadline falls (between attempts: the last network error; during
    // one: the timeout); both are a clean failure that reached nothing.
    expect(error instanceof SignalRNetworkError || error instanceof SignalRTimeoutError).toBe(true);
    ledger.settle([failedWith('SignalRNetworkError', 0), failedWith('SignalRTimeoutError', 0)], failedWith(statusOf(error), putsReached()), proxy.drainFaults());
    quick.close();
    await expectRecovered();
  });
});

describe('random fault sequences (property)', () => {
  type Fault = 'reset-before' | 'cut-mid-answer' | '500' | '503' | '503-retry-after' | '429-retry-after';
  const faultArb = fc.constantFrom<Fault>('reset-before', 'cut-mid-answer', '500', '503', '503-retry-after', '429-retry-after');

  /** Applies the faults one per request, in order, then passes. */
  async function arm(faults: readonly Fault[]): Promise<void> {
    const chain = faults.reduceRight<FaultMode>((then, f) => {
      switch (f) {
        case 'reset-before':
          return { kind: 'reset-before-forward', times: 1, then };
        case 'cut-mid-answer':
          return { kind: 'cut-mid-answer', times: 1, then };
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

  /**
   * The outcome the send policy must produce, request by request: `faults[i]` met the i-th request, and the proxy
   * saw whether it came on a reused connection. Also the number of requests the client must have made.
   */
  function expectedSendOutcome(faults: readonly Fault[], requests: readonly ProxiedRequestRecord[]): { outcome: Outcome; requests: number } {
    let attempt = 1;
    let resentThisAttempt = false;
    for (let i = 0; ; i++) {
      const fault = faults[i];
      const made = i + 1;
      if (fault === undefined) return { outcome: RECOVERED, requests: made };
      if (fault === 'reset-before') {
        // Resent once, at once, on a fresh connection when the reused one was closed before any answer.
        if (requests[i]?.reusedConnection === true && !resentThisAttempt) {
          resentThisAttempt = true;
          continue;
        }
        return { outcome: failedWith('SignalRNetworkError', 0), requests: made };
      }
      if (fault === 'cut-mid-answer') return { outcome: failedWith('SignalRNetworkError', 1), requests: made };
      const code = Number(fault.slice(0, 3));
      const refusedForNow = fault.endsWith('retry-after');
      if (!refusedForNow || attempt >= MAX_ATTEMPTS) return { outcome: failedWith(code, 0), requests: made };
      attempt += 1;
      resentThisAttempt = false;
    }
  }

  it('a send ends as the policy says for every fault sequence: never twice, exactly once when it resolves', async () => {
    const quick = newClient(3_000, 1);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(faultArb, { maxLength: 5 }), async (faults) => {
        runs += 1;
        proxy.resetStats();
        await arm(faults);
        const observed = await observeSend(quick);
        const expected = expectedSendOutcome(faults, proxy.stats.requests);
        expect(proxy.stats.requests).toHaveLength(expected.requests);
        ledger.settle(expected.outcome, observed, proxy.drainFaults());
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
        ledger.settle(RECOVERED, await observePut(quick), proxy.drainFaults());
      }),
      { numRuns: 60 },
    );
    figures.add('fuzzCases', runs);
    quick.close();
  });
});
