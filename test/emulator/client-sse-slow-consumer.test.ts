/**
 * Ending a Server-Sent Events connection whose client stopped reading: after res.end() the response's 'close'
 * never comes (the queued bytes never drain), so ending gets the same grace period as a WebSocket close and then
 * the socket is cut; otherwise the session, its queued megabytes and its socket would stay forever.
 */
import net from 'node:net';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { clientToken, delay, eventually, negotiate } from './client-harness';

describe('a Server-Sent Events client that stops reading', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, maxOutboundBufferBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('is dropped and forgotten, its socket closed', async () => {
    const token = clientToken(emulator, 'sse', { user: 'slow' });
    const reply = await negotiate(emulator, 'sse', token);
    const id = String(reply.body.connectionToken);
    const stream = net.connect(emulator.port, '127.0.0.1');
    await new Promise((resolve) => stream.once('connect', resolve));
    const streamClosed = new Promise((resolve) => stream.once('close', resolve));
    stream.on('error', () => undefined);
    stream.write(
      `GET /client/?hub=sse&id=${id} HTTP/1.1\r\nHost: 127.0.0.1:${emulator.port}\r\nAccept: text/event-stream\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
    await new Promise((resolve) => stream.once('data', resolve));
    const post = await fetch(`${emulator.url}/client/?hub=sse&id=${id}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: '{"protocol":"json","version":1}\u001e',
    });
    expect(post.status).toBe(200);
    await eventually(() => emulator.core.userExists('sse', 'slow'), 'SSE client to join');
    stream.pause();

    const chunk = 'z'.repeat(64 * 1024);
    for (let i = 0; i < 400 && emulator.core.userExists('sse', 'slow'); i++) {
      emulator.core.broadcast('sse', { target: 'receive', arguments: [i, chunk] });
      if (i % 10 === 0) await delay(1);
    }
    await eventually(() => !emulator.core.userExists('sse', 'slow'), 'slow SSE client to be dropped');
    await eventually(() => emulator.sessionCount() === 0, 'the dropped SSE session to be forgotten', 15_000);
    // A paused socket only reports the server's close once it reads what is buffered.
    stream.resume();
    await streamClosed;
  });
});
