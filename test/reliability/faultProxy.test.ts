/**
 * The fault proxy is the instrument every fault test reads; these checks prove each mode does what it
 * claims against a plain upstream server, so a passing fault test cannot be a broken proxy in disguise.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy';
import { httpRequest } from '../support/loadClients';

describe('fault proxy', () => {
  let upstream: http.Server;
  let proxy: FaultProxy;
  let upstreamHits = 0;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      upstreamHits += 1;
      req.resume();
      req.on('end', () => res.end(`upstream ${req.method} ${req.url}`));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    proxy = await startFaultProxy({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  });

  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  beforeEach(async () => {
    await proxy.setMode({ kind: 'pass' });
    proxy.resetStats();
    proxy.drainFaults();
    upstreamHits = 0;
  });

  it('passes requests through unchanged', async () => {
    const res = await httpRequest(`${proxy.url}/a?b=1`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('upstream POST /a?b=1');
    expect(proxy.stats.forwarded).toBe(1);
  });

  it('refuses connections while in refuse mode and listens again on the same port afterwards', async () => {
    await proxy.setMode({ kind: 'refuse' });
    // A fresh connection (no pooled keep-alive socket) shows the refusal itself.
    const fresh = new http.Agent({ keepAlive: false });
    await expect(httpRequest(`${proxy.url}/x`, { agent: fresh })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.setMode({ kind: 'pass' });
    expect((await httpRequest(`${proxy.url}/x`, { agent: fresh })).status).toBe(200);
  });

  it('resets before forwarding: the upstream never sees the request', async () => {
    await proxy.setMode({ kind: 'reset-before-forward' });
    await expect(httpRequest(`${proxy.url}/x`, { method: 'POST', body: 'y' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(upstreamHits).toBe(0);
  });

  it('resets after forwarding: the upstream acted but the caller gets a reset', async () => {
    await proxy.setMode({ kind: 'reset-after-forward' });
    await expect(httpRequest(`${proxy.url}/x`, { method: 'POST', body: 'y' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(upstreamHits).toBe(1);
  });

  it('cuts the answer short after forwarding: the upstream acted, the caller got its head and then an early end', async () => {
    await proxy.setMode({ kind: 'cut-mid-answer' });
    await expect(httpRequest(`${proxy.url}/x`, { method: 'POST', body: 'y' })).rejects.toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
    expect(upstreamHits).toBe(1);
  });

  it('records whether each request came on a reused connection, and hands each fault out once', async () => {
    const agent = new http.Agent({ keepAlive: true });
    await httpRequest(`${proxy.url}/a`, { agent });
    await new Promise((resolve) => setImmediate(resolve));
    await proxy.setMode({ kind: 'reset-before-forward', times: 1 });
    await expect(httpRequest(`${proxy.url}/b`, { agent })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(proxy.stats.requests.map((r) => [r.url, r.reusedConnection])).toEqual([
      ['/a', false],
      ['/b', true],
    ]);
    expect(proxy.drainFaults()).toEqual({ 'reset-before-forward': 1 });
    expect(proxy.drainFaults()).toEqual({});
    agent.destroy();
  });

  it('close-on-reuse: a request on a reused connection is dropped unforwarded, a fresh one passes', async () => {
    const agent = new http.Agent({ keepAlive: true });
    proxy.setConnectionFault({ kind: 'close-on-reuse', probability: 1 });
    try {
      expect((await httpRequest(`${proxy.url}/first`, { agent })).status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      await expect(httpRequest(`${proxy.url}/second`, { agent })).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(upstreamHits).toBe(1);
      expect(proxy.drainFaults()).toEqual({ 'close-on-reuse': 1 });
    } finally {
      proxy.setConnectionFault({ kind: 'none' });
      agent.destroy();
    }
  });

  it('close-idle: a kept-alive connection left idle is closed within the idle window', async () => {
    const agent = new http.Agent({ keepAlive: true });
    proxy.setConnectionFault({ kind: 'close-idle', minIdleMs: 50, maxIdleMs: 100 });
    try {
      const closed = new Promise<void>((resolve) => {
        agent.once('free', (socket: import('node:net').Socket) => socket.once('close', () => resolve()));
      });
      expect((await httpRequest(`${proxy.url}/x`, { agent })).status).toBe(200);
      await closed;
      expect(proxy.stats.idleConnectionsClosed).toBe(1);
      // Closing an idle connection is no fault by itself: nothing was in flight.
      expect(proxy.drainFaults()).toEqual({});
    } finally {
      proxy.setConnectionFault({ kind: 'none' });
      agent.destroy();
    }
  });

  it('stalls until the caller gives up', async () => {
    await proxy.setMode({ kind: 'stall' });
    await expect(httpRequest(`${proxy.url}/x`, { timeoutMs: 300 })).rejects.toThrow(/no answer in 300 ms/);
    expect(upstreamHits).toBe(0);
  });

  it('plays a script of answers, then falls through to pass', async () => {
    await proxy.script([
      { status: 429, headers: { 'retry-after': '1' }, body: '{}' },
      { status: 503 },
    ]);
    const first = await httpRequest(`${proxy.url}/x`);
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect((await httpRequest(`${proxy.url}/x`)).status).toBe(503);
    expect((await httpRequest(`${proxy.url}/x`)).status).toBe(200);
    expect(proxy.stats.faultsInjected).toBe(2);
    expect(upstreamHits).toBe(1);
  });
});
