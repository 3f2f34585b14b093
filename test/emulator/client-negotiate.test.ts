import { HttpTransportType } from '@microsoft/signalr';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { clientToken, clientUrl, connectClient, delay, eventually, negotiate } from './client-harness';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('client negotiate and token checks', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, clientTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('answers negotiate v1 with connectionId, connectionToken and the three transports', async () => {
    const reply = await negotiate(emulator, 'chat', clientToken(emulator, 'chat', { user: 'u' }));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      negotiateVersion: 1,
      connectionId: expect.any(String),
      connectionToken: expect.any(String),
      availableTransports: [
        { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
        { transport: 'ServerSentEvents', transferFormats: ['Text'] },
        { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
      ],
    });
    expect(reply.body.connectionToken).not.toBe(reply.body.connectionId);
  });

  it('answers negotiate v0 with the connection id only, which then opens the transport', async () => {
    const token = clientToken(emulator, 'chat', { user: 'v0' });
    const reply = await negotiate(emulator, 'chat', token, '');
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(['availableTransports', 'connectionId']);
    const id = String(reply.body.connectionId);
    const ws = new WebSocket(`${emulator.url.replace('http', 'ws')}/client/?hub=chat&id=${id}`, { headers: { Authorization: `Bearer ${token}` } });
    const first = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"protocol":"json","version":1}\u001e');
    expect(await first).toBe('{}\u001e');
    expect(emulator.core.connectionExists('chat', id)).toBe(true);
    ws.close();
    await eventually(() => !emulator.core.connectionExists('chat', id), 'v0 connection to leave');
  });

  it('accepts the token in the access_token query too', async () => {
    const token = clientToken(emulator, 'chat', { user: 'q' });
    const response = await fetch(`${emulator.url}/client/negotiate?hub=chat&negotiateVersion=1&access_token=${token}`, { method: 'POST' });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });

  it('accepts the audience forms the SDKs produce (no port, localhost alias, hub case)', async () => {
    const noPort = `http://127.0.0.1/client/?hub=chat`;
    const localhost = `http://localhost:${emulator.port}/client/?hub=chat`;
    for (const audience of [noPort, localhost]) {
      const reply = await negotiate(emulator, 'chat', clientToken(emulator, 'chat', { audience }));
      expect(reply.status).toBe(200);
    }
    const upper = await negotiate(emulator, 'Chat', clientToken(emulator, 'chat'));
    expect(upper.status).toBe(200);
  });

  it.each([
    ['no token', undefined, /no access token/],
    ['a token signed with another key', 'wrongkey', /signature/],
    ['an expired token', 'expired', /expired/],
    ['an unsigned (alg none) token', 'none', /HS256/],
    ["another hub's audience", 'otherhub', /audience/],
    ['a token over 4096 characters', 'huge', /4096/],
  ])('refuses negotiate with %s (401 and a reason)', async (_name, kind, reason) => {
    let token: string | undefined;
    const audience = clientUrl(emulator, 'chat');
    if (kind === 'wrongkey') token = clientToken(emulator, 'chat', { key: 'another-key-another-key-another-key-0000' });
    if (kind === 'expired') token = jwt.sign({ exp: Math.floor(Date.now() / 1000) - 3600, aud: audience }, KEY);
    if (kind === 'none') token = unsignedToken({ aud: audience, exp: Math.floor(Date.now() / 1000) + 3600 });
    if (kind === 'otherhub') token = clientToken(emulator, 'chat', { audience: clientUrl(emulator, 'other') });
    if (kind === 'huge') token = clientToken(emulator, 'chat', { extraClaims: { pad: 'x'.repeat(5000) } });
    const reply = await negotiate(emulator, 'chat', token);
    expect(reply.status).toBe(401);
    expect(String(reply.body.error)).toMatch(reason);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.stringify(reply.body)).not.toContain(KEY);
  });

  it('makes the official client fail to start with a bad token', async () => {
    const token = clientToken(emulator, 'chat', { key: 'not-the-emulator-key-not-the-emulator-key' });
    await expect(connectClient(emulator, { token, transport: HttpTransportType.WebSockets })).rejects.toThrow(/401|Unauthorized/);
  });

  it('refuses a missing or invalid hub with 400', async () => {
    const token = clientToken(emulator, 'chat');
    const missing = await fetch(`${emulator.url}/client/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("'hub'");
    const invalid = await negotiate(emulator, '1bad', token);
    expect(invalid.status).toBe(400);
  });

  it('reads the user id from asrs.s.uid, then nameid, then sub', async () => {
    const cases: Array<[Record<string, unknown>, string | undefined]> = [
      [{ 'asrs.s.uid': 'uid', nameid: 'nameid', sub: 'sub' }, 'uid'],
      [{ nameid: 'nameid', sub: 'sub' }, 'nameid'],
      [{ sub: 'sub' }, 'sub'],
      [{}, undefined],
    ];
    for (const [claims, expected] of cases) {
      const token = clientToken(emulator, 'claims', { extraClaims: claims });
      const client = await connectClient(emulator, { hub: 'claims', token, transport: HttpTransportType.WebSockets });
      expect(emulator.describeConnection(client.connection.connectionId ?? '')?.userId).toBe(expected);
      await client.stop();
    }
  });

  describe('transport requests', () => {
    const token = (): string => clientToken(emulator, 'chat', { user: 'lp' });
    const poll = (id: string | undefined, t = token(), method = 'GET', body?: string): Promise<Response> =>
      fetch(`${emulator.url}/client/?hub=chat${id !== undefined ? `&id=${id}` : ''}`, { method, headers: { Authorization: `Bearer ${t}` }, body });

    it('answers missing id 400, unknown id 404, and refuses an unauthenticated request 401', async () => {
      const missing = await poll(undefined);
      expect(missing.status).toBe(400);
      expect(await missing.text()).toMatch(/Connection ID required/);
      const unknown = await poll('does-not-exist');
      expect(unknown.status).toBe(404);
      await unknown.arrayBuffer();
      const unauthenticated = await fetch(`${emulator.url}/client/?hub=chat&id=x`);
      expect(unauthenticated.status).toBe(401);
      await unauthenticated.arrayBuffer();
    });

    it('runs a long-polling session by hand: first poll, handshake, data, 409 on a second poll, DELETE', async () => {
      const reply = await negotiate(emulator, 'chat', token());
      const id = String(reply.body.connectionToken);
      const connectionId = String(reply.body.connectionId);
      const first = await poll(id);
      expect(first.status).toBe(200);
      expect(await first.text()).toBe('');
      const send = await poll(id, token(), 'POST', '{"protocol":"json","version":1}\u001e');
      expect(send.status).toBe(200);
      await send.arrayBuffer();
      const handshake = await poll(id);
      expect(await handshake.text()).toBe('{}\u001e');
      const pending = poll(id);
      await delay(50);
      const second = await poll(id);
      expect(second.status).toBe(409);
      await second.arrayBuffer();
      emulator.core.sendToConnection('chat', connectionId, { target: 'receive', arguments: ['hi'] });
      const data = await pending;
      expect(await data.text()).toBe('{"type":1,"target":"receive","arguments":["hi"]}\u001e');
      const forbidden = await poll(id, clientToken(emulator, 'chat', { user: 'someone-else' }));
      expect(forbidden.status).toBe(403);
      await forbidden.arrayBuffer();
      const deleted = await poll(id, token(), 'DELETE');
      expect(deleted.status).toBe(202);
      await deleted.arrayBuffer();
      expect(emulator.core.connectionExists('chat', connectionId)).toBe(false);
      const after = await poll(id);
      expect([204, 404]).toContain(after.status);
      await after.arrayBuffer();
      await eventually(() => emulator.sessionCount() === 0, 'session cleanup');
    });

    it('answers an empty poll after the poll timeout', async () => {
      const short = await startEmulator({ port: 0, longPollTimeoutMs: 100 });
      try {
        const t = clientToken(short, 'chat', { user: 'lp' });
        const reply = await negotiate(short, 'chat', t);
        const id = String(reply.body.connectionToken);
        const url = `${short.url}/client/?hub=chat&id=${id}`;
        const headers = { Authorization: `Bearer ${t}` };
        await (await fetch(url, { headers })).arrayBuffer();
        await (await fetch(url, { method: 'POST', headers, body: '{"protocol":"json","version":1}\u001e' })).arrayBuffer();
        expect(await (await fetch(url, { headers })).text()).toBe('{}\u001e');
        const empty = await fetch(url, { headers });
        expect(empty.status).toBe(200);
        expect(await empty.text()).toBe('');
      } finally {
        await short.close();
      }
    });

    it('drops a negotiated connection whose transport never comes', async () => {
      const short = await startEmulator({ port: 0, clientTimeoutMs: 100 });
      try {
        await negotiate(short, 'chat', clientToken(short, 'chat'));
        expect(short.sessionCount()).toBe(1);
        await eventually(() => short.sessionCount() === 0, 'negotiated session to expire');
      } finally {
        await short.close();
      }
    });
  });

  describe('CORS', () => {
    it('answers preflights on client and REST routes, echoing the origin with credentials', async () => {
      for (const path of ['/client/negotiate?hub=chat&negotiateVersion=1', '/api/hubs/chat/:send?api-version=2022-06-01', '/anything']) {
        const response = await fetch(`${emulator.url}${path}`, {
          method: 'OPTIONS',
          headers: {
            Origin: 'http://localhost:3000',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization,x-signalr-user-agent,x-requested-with,content-type',
          },
        });
        expect(response.status).toBe(204);
        expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
        expect(response.headers.get('access-control-allow-credentials')).toBe('true');
        expect(response.headers.get('access-control-allow-headers')).toContain('x-signalr-user-agent');
        expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      }
    });

    it('adds CORS headers to actual responses, including errors', async () => {
      const response = await fetch(`${emulator.url}/client/negotiate?hub=chat&negotiateVersion=1`, {
        method: 'POST',
        headers: { Origin: 'http://example.test:5173' },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://example.test:5173');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      await response.arrayBuffer();
    });
  });
});
