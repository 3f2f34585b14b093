/**
 * Binary REST sends, as the .NET Management SDK makes them when hub protocols are configured: a MessagePack map
 * from hub protocol name to the framed message, sent as application/x-msgpack or application/octet-stream.
 * JSON and MessagePack clients (official client) must each receive the send correctly.
 */
import { HttpTransportType } from '@microsoft/signalr';
import { Encoder } from '@msgpack/msgpack';
import jwt from 'jsonwebtoken';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol } from '../../src/protocol/messagePackProtocol';
import { MessageType, type HubProtocolMessage } from '../../src/protocol/messages';
import { connectClient, EMULATOR_KEY, type TestClient } from './client-harness';

let emulator: RunningEmulator;
let jsonClient: TestClient;
let sseClient: TestClient;
let msgpackClient: TestClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  jsonClient = await connectClient(emulator, { user: 'u1', transport: HttpTransportType.WebSockets, protocol: 'json' });
  sseClient = await connectClient(emulator, { user: 'u2', transport: HttpTransportType.ServerSentEvents, protocol: 'json' });
  msgpackClient = await connectClient(emulator, { user: 'u3', transport: HttpTransportType.WebSockets, protocol: 'messagepack' });
});
afterAll(async () => {
  await Promise.all([jsonClient, sseClient, msgpackClient].map((c) => c.stop()));
  await emulator.close();
});

const invocation = (args: unknown[]): HubProtocolMessage => ({ type: MessageType.Invocation, target: 'receive', arguments: args });

function binaryBody(entries: Record<string, Uint8Array | string | number>): Buffer {
  return Buffer.from(new Encoder().encode(entries));
}

async function post(path: string, body: Buffer, contentType = 'application/x-msgpack'): Promise<{ status: number; text: string }> {
  const url = `${emulator.url}${path}`;
  const token = jwt.sign({}, EMULATOR_KEY, { algorithm: 'HS256', audience: url.split('?')[0], expiresIn: 300 });
  const response = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
  return { status: response.status, text: await response.text() };
}

async function receivedBy(client: TestClient, count: number): Promise<unknown[]> {
  await client.waitForCount(count);
  return client.received[count - 1]!;
}

let sent = 0;

describe('a binary broadcast', () => {
  it.each(['application/x-msgpack', 'application/octet-stream'])('with both frames (%s) reaches JSON, SSE and MessagePack clients', async (contentType) => {
    const args = ['both', { n: 1, list: [true, null] }];
    const body = binaryBody({ json: jsonProtocol.write(invocation(args)), messagepack: messagePackProtocol.write(invocation(args)) });
    expect(await post('/api/hubs/chat/:send?api-version=2022-06-01', body, contentType)).toEqual({ status: 202, text: '' });
    sent += 1;
    for (const client of [jsonClient, sseClient, msgpackClient]) expect(await receivedBy(client, sent)).toEqual(args);
  });

  it('with the MessagePack frame only: JSON clients get it too, binary values as base64 as .NET writes a byte[]', async () => {
    const bytes = Uint8Array.from([1, 2, 250]);
    const body = binaryBody({ messagepack: messagePackProtocol.write(invocation(['mp only', bytes])) });
    expect((await post('/api/hubs/chat/:send?api-version=2022-06-01', body)).status).toBe(202);
    sent += 1;
    expect(await receivedBy(jsonClient, sent)).toEqual(['mp only', Buffer.from(bytes).toString('base64')]);
    expect(await receivedBy(sseClient, sent)).toEqual(['mp only', Buffer.from(bytes).toString('base64')]);
    const [text, binary] = await receivedBy(msgpackClient, sent);
    expect(text).toBe('mp only');
    expect(Buffer.from(binary as Uint8Array)).toEqual(Buffer.from(bytes));
  });

  it('with the JSON frame only: MessagePack clients get it too; entries of unknown protocols are ignored', async () => {
    const body = binaryBody({ json: jsonProtocol.write(invocation(['json only', 3])), xml: new Uint8Array([1]) });
    expect((await post('/api/v1/hubs/chat', body, 'application/octet-stream')).status).toBe(202);
    sent += 1;
    for (const client of [jsonClient, sseClient, msgpackClient]) expect(await receivedBy(client, sent)).toEqual(['json only', 3]);
  });
});

describe('a binary send to a user and to a group', () => {
  it('reaches only its recipients', async () => {
    const toUser = binaryBody({ json: jsonProtocol.write(invocation(['for u3'])), messagepack: messagePackProtocol.write(invocation(['for u3'])) });
    expect((await post('/api/hubs/chat/users/u3/:send?api-version=2022-06-01', toUser)).status).toBe(202);
    expect(await receivedBy(msgpackClient, sent + 1)).toEqual(['for u3']);
    await fetch(`${emulator.url}/api/hubs/chat/groups/g/connections/${msgpackClient.connection.connectionId}?api-version=2022-06-01`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${jwt.sign({}, EMULATOR_KEY, { algorithm: 'HS256', audience: `${emulator.url}/api/hubs/chat/groups/g/connections/${msgpackClient.connection.connectionId}`, expiresIn: 300 })}` },
    });
    const toGroup = binaryBody({ messagepack: messagePackProtocol.write(invocation(['for g'])) });
    expect((await post('/api/hubs/chat/groups/g/:send?api-version=2022-06-01', toGroup)).status).toBe(202);
    expect(await receivedBy(msgpackClient, sent + 2)).toEqual(['for g']);
    expect(jsonClient.received).toHaveLength(sent);
  });
});

describe('a malformed binary body is a 400 naming what is wrong', () => {
  const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : [nested(depth - 1)]);
  it.each([
    ['not MessagePack', Buffer.from([0xc1]), /not MessagePack/],
    ['not a map', Buffer.from(new Encoder().encode([1, 2])), /must be a MessagePack map/],
    ['no known protocol', binaryBody({ xml: new Uint8Array([1]) }), /no 'json' or 'messagepack' entry/],
    ['a frame that is a string', binaryBody({ json: 'text' }), /must be binary/],
    ['a frame that is not an Invocation', binaryBody({ json: jsonProtocol.write({ type: MessageType.Ping }) }), /exactly one framed Invocation/],
    ['two messages in one frame', binaryBody({ json: Buffer.concat([jsonProtocol.write(invocation([1])), jsonProtocol.write(invocation([2]))]) }), /exactly one framed Invocation/],
    ['frames with different targets', binaryBody({ json: jsonProtocol.write(invocation([1])), messagepack: messagePackProtocol.write({ type: MessageType.Invocation, target: 'other', arguments: [] }) }), /different messages/],
    ['arguments nested deeper than the service takes', binaryBody({ messagepack: messagePackProtocol.write(invocation([nested(70)])) }), /nest more than 64 levels/],
  ])('%s', async (_name, body, message) => {
    const response = await post('/api/hubs/chat/:send?api-version=2022-06-01', body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({ code: 'Error.Request.Invalid', message: expect.stringMatching(message) });
  });
});
