import { HttpTransportType } from '@microsoft/signalr';
import { encode } from '@msgpack/msgpack';
import net from 'node:net';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { clientToken, connectClient, delay, eventually, negotiate, openRawSocket, RawSocket, TestClient } from './client-harness';

const HANDSHAKE_JSON = '{"protocol":"json","version":1}\u001e';

describe('misbehaving clients lose only their own connection', () => {
  let emulator: RunningEmulator;
  let bystander: TestClient;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, maxClientMessageBytes: 64 * 1024 });
  });
  beforeEach(async () => {
    bystander = await connectClient(emulator, { user: 'bystander', transport: HttpTransportType.WebSockets });
  });
  afterEach(async () => {
    await bystander.stop();
  });
  afterAll(async () => {
    await emulator.close();
  });

  async function rawConnected(protocol: 'json' | 'messagepack' = 'json'): Promise<RawSocket> {
    const raw = await openRawSocket(emulator, 'chat', 'raw');
    raw.ws.send(`{"protocol":"${protocol}","version":1}\u001e`);
    await raw.waitForFrames(1);
    return raw;
  }

  async function bystanderStillReceives(): Promise<void> {
    const before = bystander.received.length;
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['still fine'] });
    await bystander.waitForCount(before + 1);
    expect(bystander.received[before]).toEqual(['still fine']);
  }

  it('closes a connection that sends invalid JSON, with a Close message', async () => {
    const raw = await rawConnected();
    expect(raw.frames[0]).toBe('{}\u001e');
    raw.ws.send('{not json\u001e');
    await raw.closed;
    const close = JSON.parse(String(raw.frames[raw.frames.length - 1]).slice(0, -1)) as { type: number; error: string };
    expect(close.type).toBe(7);
    expect(close.error).toMatch(/Connection closed with an error/);
    expect(emulator.core.userExists('chat', 'raw')).toBe(false);
    await bystanderStillReceives();
  });

  it('closes a connection that sends a message without a type or with wrong field types', async () => {
    for (const bad of ['{"target":"x","arguments":[]}', '{"type":1,"target":5,"arguments":[]}', '[1,2,3]']) {
      const raw = await rawConnected();
      raw.ws.send(`${bad}\u001e`);
      expect(await raw.closed).toBe(1000);
    }
    await bystanderStillReceives();
  });

  it('refuses an unknown protocol and a wrong version in the handshake', async () => {
    for (const [handshake, error] of [
      ['{"protocol":"xml","version":1}\u001e', "The protocol 'xml' is not supported."],
      ['{"protocol":"json","version":7}\u001e', "The server does not support version 7 of the 'json' protocol."],
      ['garbage\u001e', 'Handshake request is not valid JSON.'],
    ]) {
      const raw = await openRawSocket(emulator, 'chat', 'raw');
      raw.ws.send(handshake);
      await raw.closed;
      expect(raw.frames).toEqual([`${JSON.stringify({ error })}\u001e`]);
    }
    expect(emulator.core.userExists('chat', 'raw')).toBe(false);
    await bystanderStillReceives();
  });

  it('closes a MessagePack connection that sends garbage bytes', async () => {
    const raw = await rawConnected('messagepack');
    expect(Buffer.isBuffer(raw.frames[0])).toBe(true);
    expect(String(raw.frames[0])).toBe('{}\u001e');
    raw.ws.send(Buffer.from([0x03, 0xc1, 0xc1, 0xc1]));
    await raw.closed;
    await bystanderStillReceives();
  });

  it('closes a connection whose message exceeds the size limit', async () => {
    const raw = await rawConnected();
    raw.ws.send(`{"type":1,"target":"x","arguments":["${'y'.repeat(70 * 1024)}"]}\u001e`);
    await raw.closed;
    expect(emulator.core.userExists('chat', 'raw')).toBe(false);
    await bystanderStillReceives();
  });

  it('ends a connection when the client sends Close, and ignores pings', async () => {
    const raw = await rawConnected();
    raw.ws.send('{"type":6}\u001e');
    await delay(20);
    expect(emulator.core.userExists('chat', 'raw')).toBe(true);
    raw.ws.send('{"type":7}\u001e');
    await raw.closed;
    expect(emulator.core.userExists('chat', 'raw')).toBe(false);
  });

  it('answers a MessagePack invocation with an error completion', async () => {
    const raw = await rawConnected('messagepack');
    const body = encode([1, {}, '42', 'echo', ['x']]);
    raw.ws.send(Buffer.concat([Buffer.from([body.length]), Buffer.from(body)]));
    await raw.waitForFrames(2);
    const frame = raw.frames[1] as Buffer;
    const { decode } = await import('@msgpack/msgpack');
    expect(decode(frame.subarray(1))).toEqual([3, {}, '42', 1, expect.stringMatching(/no upstream/)]);
    raw.ws.close();
    await raw.closed;
  });

  it('refuses MessagePack over Server-Sent Events in the handshake', async () => {
    const token = clientToken(emulator, 'chat', { user: 'sse' });
    const reply = await negotiate(emulator, 'chat', token);
    const url = `${emulator.url}/client/?hub=chat&id=${String(reply.body.connectionToken)}`;
    const controller = new AbortController();
    const stream = await fetch(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const post = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{"protocol":"messagepack","version":1}\u001e' });
    await post.arrayBuffer();
    const text = await stream.text();
    expect(text).toContain('data: {"error":"Cannot use the \'messagepack\' protocol on the current transport.');
    expect(emulator.core.userExists('chat', 'sse')).toBe(false);
  });
});

describe('keep-alive and timeouts', () => {
  it('pings idle clients and drops clients that stay silent', async () => {
    const emulator = await startEmulator({ port: 0, keepAliveIntervalMs: 50, clientTimeoutMs: 400 });
    try {
      const raw = await openRawSocket(emulator, 'chat', 'quiet');
      raw.ws.send(HANDSHAKE_JSON);
      await raw.waitForFrames(3);
      expect(raw.frames.slice(1, 3)).toEqual(['{"type":6}\u001e', '{"type":6}\u001e']);
      await raw.closed;
      const close = String(raw.frames[raw.frames.length - 1]);
      expect(close).toContain('"type":7');
      expect(close).toContain('Server timeout elapsed');
      expect(emulator.core.userExists('chat', 'quiet')).toBe(false);
    } finally {
      await emulator.close();
    }
  });

  it('keeps an official client alive through its own pings', async () => {
    // The timeout leaves room for this process to stall (the emulator and the client share it, and a stall of a
    // few hundred ms under parallel suites made the emulator's check run before the late pings were read).
    const emulator = await startEmulator({ port: 0, keepAliveIntervalMs: 50, clientTimeoutMs: 1500 });
    try {
      // The official client pings every 15 s by default; make it ping fast enough for this timeout.
      const client = await connectClient(emulator, { user: 'pinger', transport: HttpTransportType.WebSockets, keepAliveIntervalMs: 50 });
      await delay(2000);
      expect(emulator.core.userExists('chat', 'pinger')).toBe(true);
      await client.stop();
    } finally {
      await emulator.close();
    }
  });

  it('drops a client that never sends the handshake', async () => {
    const emulator = await startEmulator({ port: 0, handshakeTimeoutMs: 100 });
    try {
      const raw = await openRawSocket(emulator, 'chat', 'mute');
      await raw.closed;
      await eventually(() => emulator.sessionCount() === 0, 'session cleanup');
    } finally {
      await emulator.close();
    }
  });
});

describe('slow consumers', () => {
  it('drops a client that does not read, and keeps serving the others', async () => {
    const emulator = await startEmulator({ port: 0, maxOutboundBufferBytes: 256 * 1024 });
    try {
      const fast = await connectClient(emulator, { user: 'fast', transport: HttpTransportType.WebSockets });
      // A WebSocket client written by hand over a raw TCP socket that stops reading after the handshake.
      const token = clientToken(emulator, 'chat', { user: 'slow' });
      const reply = await negotiate(emulator, 'chat', token);
      const socket = net.connect(emulator.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `GET /client/?hub=chat&id=${String(reply.body.connectionToken)} HTTP/1.1\r\nHost: 127.0.0.1:${emulator.port}\r\n` +
          `Authorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await new Promise((resolve) => socket.once('data', resolve));
      // Masked text frame carrying the handshake (client frames must be masked; a zero mask keeps it simple).
      const payload = Buffer.from(HANDSHAKE_JSON);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
      await eventually(() => emulator.core.userExists('chat', 'slow'), 'slow client to join');
      socket.pause();
      const closedSocket = new Promise((resolve) => socket.once('close', resolve));

      // Two 64 KB messages per turn, then the fast client reads them before the next two: at most 128 KB is
      // ever queued for it, under the 256 KB limit, while the slow client's queue only grows. (Twenty per
      // turn queued 1.3 MB for both at once whenever the kernel's buffers had not grown yet, and dropped
      // the fast client too, now and then, with another jest worker busy.)
      const chunk = 'z'.repeat(64 * 1024);
      const count = 200;
      for (let i = 0; i < count; i++) {
        emulator.core.broadcast('chat', { target: 'receive', arguments: [i, chunk] });
        if (i % 2 === 1) await fast.waitForCount(i + 1, 20_000);
      }
      await eventually(() => !emulator.core.userExists('chat', 'slow'), 'slow client to be dropped');
      await fast.waitForCount(count, 20_000);
      expect(fast.received.map((args) => args[0])).toEqual(Array.from({ length: count }, (_, i) => i));
      socket.destroy();
      await closedSocket;
      await fast.stop();
    } finally {
      await emulator.close();
    }
  });
});

describe('startEmulator and close', () => {
  it('rejects a port in use with a clear message', async () => {
    const first = await startEmulator({ port: 0 });
    try {
      await expect(startEmulator({ port: first.port })).rejects.toThrow(`port ${first.port} is already in use on 127.0.0.1`);
    } finally {
      await first.close();
    }
  });

  it('reports url and connection string, and close() ends live connections of every transport', async () => {
    const emulator = await startEmulator({ port: 0 });
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.connectionString).toBe(
      `Endpoint=http://127.0.0.1;Port=${emulator.port};AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;`,
    );
    expect(emulator.connectionStringPortInEndpoint).toBe(
      `Endpoint=http://127.0.0.1:${emulator.port};AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;`,
    );
    const clients = await Promise.all(
      [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling].map((transport) =>
        connectClient(emulator, { user: `u${transport}`, transport }),
      ),
    );
    const raw = await openRawSocket(emulator, 'chat', 'raw');
    raw.ws.send(HANDSHAKE_JSON);
    await raw.waitForFrames(1);
    await emulator.close();
    await raw.closed;
    // Like a stopping ASP.NET Core server: the Close message allows clients to reconnect.
    expect(raw.frames[raw.frames.length - 1]).toBe('{"type":7,"error":"The emulator is shutting down.","allowReconnect":true}\u001e');
    const errors = await Promise.all(clients.map((c) => c.closed));
    for (const error of errors) expect(error?.message ?? '').toMatch(/shutting down|closed|Error/);
    expect(emulator.core.connectionCount()).toBe(0);
  });
});
