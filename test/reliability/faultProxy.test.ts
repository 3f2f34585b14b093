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
