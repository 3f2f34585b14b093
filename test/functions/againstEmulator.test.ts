/**
 * The functions end to end on the real emulator: negotiate through the function, connect with the official
 * @microsoft/signalr client, send and manage groups through the functions, receive.
 */
import './support';
import { HubConnectionBuilder, HttpTransportType, LogLevel, type HubConnection } from '@microsoft/signalr';
import type { HttpHandler } from '@azure/functions';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { resetSignalRServiceCache } from '../../src/client/service';
import { negotiate } from '../../functions/negotiate';
import { sendMessageOptions } from '../../functions/sendMessage';
import { addToGroupOptions } from '../../functions/addToGroup';
import { removeFromGroupOptions } from '../../functions/removeFromGroup';
import { daprSignalROptions } from '../../functions/daprSignalR';
import { ACCESS_KEY, call, setSettings } from './support';

interface Received {
  args: unknown[];
}

interface Client {
  connection: HubConnection;
  received: Received[];
}

let emulator: RunningEmulator;
const clients: Client[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

beforeEach(() => {
  resetSignalRServiceCache();
  setSettings({
    AzureSignalRConnectionString: emulator.connectionString,
    SignalRHubName: 'chat',
    SignalRAllowClientUserId: 'true',
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.connection.stop()));
});

afterAll(async () => {
  resetSignalRServiceCache();
  await emulator.close();
});

async function connectAs(userId: string): Promise<Client> {
  const negotiated = await call(negotiate, { query: { userId } }, 'negotiate');
  expect(negotiated.status).toBe(200);
  const { url, accessToken } = negotiated.body as { url: string; accessToken: string };
  const connection = new HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => accessToken, transport: HttpTransportType.WebSockets })
    .configureLogging(LogLevel.None)
    .build();
  const client: Client = { connection, received: [] };
  connection.on('newMessage', (...args: unknown[]) => client.received.push({ args }));
  await connection.start();
  clients.push(client);
  return client;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function handler(options: { handler: HttpHandler }): HttpHandler {
  return options.handler;
}

/** Sends through the function, then a broadcast marker: once the marker arrived, earlier routed messages have too. */
async function sendThenMark(body: unknown, everyone: Client[], sender = 'alice'): Promise<void> {
  const sent = await call(handler(sendMessageOptions), { headers: { 'x-user-id': sender }, body }, 'sendMessage');
  expect(sent.status).toBe(202);
  const marker = `marker-${Math.random()}`;
  const marked = await call(handler(sendMessageOptions), { body: { target: 'newMessage', arguments: [marker] } }, 'sendMessage');
  expect(marked.status).toBe(202);
  for (const client of everyone) await waitFor(() => client.received.some((r) => r.args[0] === marker), 'the marker');
}

function texts(client: Client): unknown[] {
  return client.received.map((r) => r.args[0]).filter((a) => !(typeof a === 'string' && a.startsWith('marker-')));
}

test('negotiate hands out a URL and token the official client connects with, as the user', async () => {
  const alice = await connectAs('alice');
  expect(alice.connection.connectionId).toBeTruthy();
  expect(emulator.core.userExists('chat', 'alice')).toBe(true);
});

test('sendMessage reaches everyone, one user, one connection, with the verified sender', async () => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  await sendThenMark({ target: 'newMessage', arguments: [{ text: 'to all' }] }, [alice, bob]);
  expect(texts(bob)).toEqual([{ text: 'to all', sender: 'alice' }]);

  await sendThenMark({ target: 'newMessage', arguments: ['to bob'], userId: 'bob' }, [alice, bob]);
  expect(texts(bob)).toContain('to bob');
  expect(texts(alice)).not.toContain('to bob');

  await sendThenMark({ Target: 'newMessage', Arguments: ['to alice connection'], ConnectionId: alice.connection.connectionId }, [alice, bob]);
  expect(texts(alice)).toContain('to alice connection');
  expect(texts(bob)).not.toContain('to alice connection');
});

test('addToGroup / removeFromGroup by user and by connection drive group delivery', async () => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');

  const added = await call(handler(addToGroupOptions), { headers: { 'x-user-id': 'bob' }, body: { groupName: 'team' } }, 'addToGroup');
  expect(added.status).toBe(200);
  await sendThenMark({ target: 'newMessage', arguments: ['team 1'], groupName: 'team' }, [alice, bob]);
  expect(texts(bob)).toContain('team 1');
  expect(texts(alice)).not.toContain('team 1');

  // A user's membership applies to connections it opens later.
  const bobAgain = await connectAs('bob');
  await sendThenMark({ target: 'newMessage', arguments: ['team 2'], groupName: 'team' }, [alice, bob, bobAgain]);
  expect(texts(bobAgain)).toContain('team 2');

  const removed = await call(handler(removeFromGroupOptions), { headers: { 'x-user-id': 'bob' }, body: {} }, 'removeFromGroup');
  expect(removed.status).toBe(200);
  await sendThenMark({ target: 'newMessage', arguments: ['team 3'], groupName: 'team' }, [alice, bob, bobAgain]);
  expect(texts(bob)).not.toContain('team 3');
  expect(texts(bobAgain)).not.toContain('team 3');

  const byConnection = await call(handler(addToGroupOptions), { body: { groupName: 'solo', connectionId: alice.connection.connectionId } }, 'addToGroup');
  expect(byConnection.status).toBe(200);
  await sendThenMark({ target: 'newMessage', arguments: ['solo 1'], groupName: 'solo' }, [alice, bob]);
  expect(texts(alice)).toContain('solo 1');
  expect(texts(bob)).not.toContain('solo 1');
});

test.each([
  ['Port=', () => emulator.connectionString],
  ["the port inside Endpoint (the form Dapr's component needs)", () => emulator.connectionStringPortInEndpoint],
  ['both, where Port wins as in the SDK', () => `Endpoint=http://127.0.0.1:1;Port=${emulator.port};AccessKey=${ACCESS_KEY};Version=1.0;`],
])('with %s in the connection string, negotiate and sendMessage work end to end', async (_form, connectionString) => {
  setSettings({ AzureSignalRConnectionString: connectionString(), SignalRHubName: 'chat', SignalRAllowClientUserId: 'true' });
  const alice = await connectAs('alice');
  await sendThenMark({ target: 'newMessage', arguments: ['to alice'], userId: 'alice' }, [alice]);
  expect(texts(alice)).toEqual(['to alice']);
});

test('a connection the service does not know is a 404 from addToGroup', async () => {
  const result = await call(handler(addToGroupOptions), { body: { groupName: 'team', connectionId: 'no-such-connection' } }, 'addToGroup');
  expect(result.status).toBe(404);
});

test('the Dapr endpoint sends to a group through the same adapter', async () => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  await call(handler(addToGroupOptions), { headers: { 'x-user-id': 'alice' }, body: { groupName: 'dapr' } }, 'addToGroup');
  const result = await call(
    handler(daprSignalROptions),
    { body: { data: { Target: 'newMessage', Arguments: ['from dapr'] }, metadata: { group: 'dapr' }, operation: 'create' } },
    'daprSignalR',
  );
  expect(result.status).toBe(204);
  await sendThenMark({ target: 'newMessage', arguments: ['after dapr'] }, [alice, bob]);
  expect(texts(alice)).toContain('from dapr');
  expect(texts(bob)).not.toContain('from dapr');
});

test('a user id too long for a 4 KB client token is a 400 naming the limit, not a 500', async () => {
  const result = await call(negotiate, { query: { userId: 'u'.repeat(5000) } }, 'negotiate');
  expect(result.status).toBe(400);
  const body = result.body as { error: { code: string; message: string } };
  expect(body.error.code).toBe('InvalidTokenRequest');
  expect(body.error.message).toContain('4096');
  expect(JSON.stringify(body)).not.toMatch(/eyJ/);
});

function nested(levels: number): unknown[] {
  // An array `levels` deep: [[[...["leaf"]...]]]
  let value: unknown[] = ['leaf'];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

test('arguments nested as deep as the service takes are delivered; one level more is a 400 and nothing is sent', async () => {
  const alice = await connectAs('alice');
  // The arguments array itself is the first of its 63 levels; with the body object around it, 64 at the service.
  const deepest = nested(63);
  await sendThenMark({ target: 'newMessage', arguments: deepest }, [alice]);
  expect(JSON.stringify(alice.received[0].args)).toBe(JSON.stringify(deepest));

  const before = alice.received.length;
  const tooDeep = await call(
    handler(sendMessageOptions),
    { headers: { 'x-user-id': 'alice' }, body: [{ target: 'newMessage', arguments: ['fine'] }, { target: 'newMessage', arguments: nested(64) }] },
    'sendMessage',
  );
  expect(tooDeep.status).toBe(400);
  expect(JSON.stringify(tooDeep.body)).toContain('63 levels');
  await sendThenMark({ target: 'newMessage', arguments: ['after'] }, [alice]);
  expect(alice.received.slice(before).map((r) => r.args[0])).not.toContain('fine');

  const dapr = await call(handler(daprSignalROptions), { body: { data: { Target: 'newMessage', Arguments: nested(64) }, operation: 'create' } }, 'daprSignalR');
  expect(dapr.status).toBe(400);
});
