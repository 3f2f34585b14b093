/**
 * Inbound framing of a client connection: incomplete data is parsed again only when a new chunk can complete a
 * message (a record separator for JSON and the handshake, the announced frame length for MessagePack). Why it
 * matters: re-concatenating and re-parsing the whole pending buffer per chunk made a client that dribbles a 1 MB
 * message in 1-byte WebSocket frames cost ~10^12 byte copies, blocking the event loop for every connection.
 */
import { decode, encode } from '@msgpack/msgpack';
import * as handshakeModule from '../../src/protocol/handshake';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol, writeLengthPrefixed } from '../../src/protocol/messagePackProtocol';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { openRawSocket, RawSocket } from './client-harness';

const LIMIT = 64 * 1024;

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

async function sendAll(raw: RawSocket, parts: Buffer[], binary: boolean): Promise<void> {
  for (const part of parts) raw.ws.send(part, { binary });
  await new Promise<void>((resolve, reject) => raw.ws.send(Buffer.alloc(0), { binary }, (error) => (error ? reject(error) : resolve())));
}

describe('a message dribbled in tiny frames', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, maxClientMessageBytes: LIMIT });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('JSON: is parsed a bounded number of times and still answered', async () => {
    const raw = await openRawSocket(emulator, 'drip', 'json-user');
    raw.ws.send('{"protocol":"json","version":1}\u001e');
    await raw.waitForFrames(1);
    const parse = jest.spyOn(jsonProtocol, 'parse');
    const message = Buffer.from(`{"type":1,"invocationId":"7","target":"x","arguments":["${'y'.repeat(20_000)}"]}\u001e`);
    await sendAll(raw, chunks(message, 16), false);
    await raw.waitForFrames(2);
    expect(JSON.parse(String(raw.frames[1]).slice(0, -1))).toMatchObject({ type: 3, invocationId: '7' });
    expect(parse.mock.calls.length).toBeLessThanOrEqual(3);
    raw.ws.close();
    await raw.closed;
  });

  it('MessagePack: is parsed a bounded number of times and still answered', async () => {
    const raw = await openRawSocket(emulator, 'drip', 'mp-user');
    raw.ws.send('{"protocol":"messagepack","version":1}\u001e');
    await raw.waitForFrames(1);
    const parse = jest.spyOn(messagePackProtocol, 'parse');
    const body = Buffer.from(encode([1, {}, '8', 'x', ['y'.repeat(20_000)]]));
    const frame = writeLengthPrefixed(body);
    await sendAll(raw, chunks(frame, 16), true);
    await raw.waitForFrames(2);
    const reply = raw.frames[1] as Buffer;
    expect(decode(reply.subarray(1))).toEqual([3, {}, '8', 1, expect.stringMatching(/no upstream/)]);
    // one parse per prefix byte at most, then one when the frame is complete
    expect(parse.mock.calls.length).toBeLessThanOrEqual(4);
    raw.ws.close();
    await raw.closed;
  });

  it('handshake: is read a bounded number of times', async () => {
    const raw = await openRawSocket(emulator, 'drip', 'hs-user');
    const read = jest.spyOn(handshakeModule, 'readHandshake');
    const handshake = Buffer.from(`{"protocol":"json","version":1,"pad":"${' '.repeat(5000)}"}\u001e`);
    await sendAll(raw, chunks(handshake, 8), false);
    await raw.waitForFrames(1);
    expect(raw.frames[0]).toBe('{}\u001e');
    expect(read.mock.calls.length).toBeLessThanOrEqual(3);
    raw.ws.close();
    await raw.closed;
  });

  it('still closes a connection whose dribbled partial message outgrows the limit', async () => {
    const raw = await openRawSocket(emulator, 'drip', 'big-user');
    raw.ws.send('{"protocol":"json","version":1}\u001e');
    await raw.waitForFrames(1);
    const partial = Buffer.from(`{"type":1,"target":"x","arguments":["${'y'.repeat(LIMIT + 10)}`);
    for (const part of chunks(partial, 4096)) raw.ws.send(part);
    await raw.closed;
    const close = JSON.parse(String(raw.frames[raw.frames.length - 1]).slice(0, -1)) as { type: number; error: string };
    expect(close).toMatchObject({ type: 7, error: expect.stringMatching(/maximum message size/) });
    expect(emulator.core.userExists('drip', 'big-user')).toBe(false);
  });

  it('still refuses a dribbled handshake that outgrows the limit', async () => {
    const raw = await openRawSocket(emulator, 'drip', 'big-hs');
    for (const part of chunks(Buffer.from(`{"protocol":"json","pad":"${' '.repeat(LIMIT + 10)}`), 4096)) raw.ws.send(part);
    await raw.closed;
    expect(String(raw.frames[0])).toContain('Handshake request is too large.');
  });
});
