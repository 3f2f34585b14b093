/**
 * The functions over three SignalR Service instances: three emulator processes (each its own AccessKey), official
 * @microsoft/signalr clients with automatic reconnect negotiating through the negotiate function served over
 * HTTP, sends through the output adapter. One instance is killed with SIGKILL in the middle of traffic and
 * started again; health checks every second (SignalREndpointHealthIntervalSeconds).
 */
import './support';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import type { HttpHandler } from '@azure/functions';
import { negotiate } from '../../functions/negotiate';
import { sendMessageOptions } from '../../functions/sendMessage';
import { addToGroupOptions } from '../../functions/addToGroup';
import { startEndpointCluster, type EndpointCluster } from '../support/endpointCluster';
import { call, errorOf, expectNoSecrets } from './support';

const HUB = 'chat';

let cluster: EndpointCluster;
const warnings: string[] = [];
let warnSpy: jest.SpyInstance;

interface Client {
  user: string;
  connection: HubConnection;
  received: string[];
  reconnected: number;
}
const clients: Client[] = [];

const handler = (options: { handler: HttpHandler }): HttpHandler => options.handler;

async function connect(user: string): Promise<Client> {
  const connection = cluster.buildClient(user);
  const client: Client = { user, connection, received: [], reconnected: 0 };
  connection.on('newMessage', (text: unknown) => client.received.push(String(text)));
  connection.onreconnected(() => (client.reconnected += 1));
  await connection.start();
  clients.push(client);
  return client;
}

/** Connects clients (as `user()`) until every instance holds at least `perInstance` of them; returns them with their places. */
async function connectSpread(perInstance: number, user: (n: number) => string): Promise<Array<{ client: Client; place: number }>> {
  const placed: Array<{ client: Client; place: number }> = [];
  for (let n = 0; n < 60 && [0, 1, 2].some((i) => placed.filter((p) => p.place === i).length < perInstance); n++) {
    const client = await connect(user(n));
    placed.push({ client, place: await cluster.placeOf(client.connection) });
  }
  expect([0, 1, 2].map((i) => placed.filter((p) => p.place === i).length >= perInstance)).toEqual([true, true, true]);
  return placed;
}

async function send(body: unknown): Promise<number> {
  return (await call(handler(sendMessageOptions), { headers: { 'x-user-id': 'sender' }, body }, 'sendMessage')).status;
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends a broadcast marker and waits until every client has it: what was sent before has arrived too (order per connection). */
async function flushed(audience: Client[]): Promise<void> {
  const marker = `marker-${Math.random()}`;
  expect(await send({ target: 'newMessage', arguments: [marker] })).toBe(202);
  await eventually(() => audience.every((c) => c.received.includes(marker)), 'the marker');
}

/** How often each client got `text`, read once everything sent before has arrived. */
async function countsOf(text: string, audience: Client[]): Promise<number[]> {
  await flushed(audience);
  return audience.map((c) => c.received.filter((r) => r === text).length);
}

beforeAll(async () => {
  warnSpy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  // Health checks every second.
  cluster = await startEndpointCluster({ hub: HUB, healthIntervalSeconds: 1 });
}, 60_000);

const cleanups: Array<() => void> = [];

/** Registers `cleanup` to run after the current test, and returns it to run sooner. */
function afterTest(cleanup: () => void): () => void {
  cleanups.push(cleanup);
  return cleanup;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(clients.splice(0).map((c) => c.connection.stop()));
});

afterAll(async () => {
  await cluster?.close();
  warnSpy.mockRestore();
});

test('negotiate spreads clients over the primaries', async () => {
  const counts = await cluster.negotiateCounts(90);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(90);
  // Uniform at random: 30 each on average; under 10 would be a 4.5-sigma event.
  for (const count of counts) expect(count).toBeGreaterThanOrEqual(10);
  // Official clients really land on all three, through the negotiate function over HTTP.
  await connectSpread(1, (n) => `spread${n}`);
});

test('a broadcast, a send to a user and a send to a group reach the clients on every instance exactly once', async () => {
  const members = await connectSpread(1, (n) => `member${n}`);
  const everywhere = await connectSpread(1, () => 'everywhere');
  const audience = [...members, ...everywhere].map((p) => p.client);
  const isEverywhere = audience.map((c) => c.user === 'everywhere');

  expect(await send({ target: 'newMessage', arguments: ['hello all'] })).toBe(202);
  expect(await countsOf('hello all', audience)).toEqual(audience.map(() => 1));

  expect(await send({ target: 'newMessage', arguments: ['hello user'], userId: 'everywhere' })).toBe(202);
  expect(await countsOf('hello user', audience)).toEqual(isEverywhere.map((yes) => (yes ? 1 : 0)));

  // The user joins (on every instance), and one member's connection joins (on the one instance that has it).
  const addUser = await call(handler(addToGroupOptions), { headers: { 'x-user-id': 'everywhere' }, body: { groupName: 'team' } }, 'addToGroup');
  expect(addUser.status).toBe(200);
  const lone = members.find((p) => p.place === 2)!.client;
  const addConnection = await call(handler(addToGroupOptions), { body: { groupName: 'team', connectionId: lone.connection.connectionId } }, 'addToGroup');
  expect(addConnection.status).toBe(200);
  expect(await send({ target: 'newMessage', arguments: ['hello team'], groupName: 'team' })).toBe(202);
  expect(await countsOf('hello team', audience)).toEqual(audience.map((c, i) => (isEverywhere[i] || c === lone ? 1 : 0)));
});

test('one instance killed mid-traffic: negotiate drops it, sends reach the others, its clients move, it is used again when back', async () => {
  const placed = await connectSpread(2, (n) => `k${n}`);
  const survivors = placed.filter((p) => p.place !== 1).map((p) => p.client);
  const movers = placed.filter((p) => p.place === 1).map((p) => p.client);
  const outcomes: Array<{ text: string; status: number }> = [];
  let sending = true;
  // Stops with the test, also when it fails part-way (an endless loop would keep jest from exiting).
  const stopTraffic = afterTest(() => (sending = false));
  const traffic = (async () => {
    for (let seq = 0; sending; seq++) {
      const text = `t${seq}`;
      outcomes.push({ text, status: await send({ target: 'newMessage', arguments: [text] }) });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  await eventually(() => outcomes.length >= 5, 'traffic before the kill');

  await cluster.kill(1, 'SIGKILL');
  // Read once the process is gone: a check started before may still have had its answer.
  const checksAtKill = cluster.endpoints()[1]!.health.checks;
  const checksWhenOffline = await cluster.whenHealth(1, false);
  // Within one health interval plus one check: the first check that started after the kill found it dead
  // (either the periodic one or the one a failed send asked for).
  expect(checksWhenOffline).toBeLessThanOrEqual(checksAtKill + 1);
  expect((await cluster.negotiateCounts(30))[1]).toBe(0);

  // Its clients negotiate again and land on a live instance.
  await eventually(() => movers.every((c) => c.reconnected > 0 && c.connection.state === HubConnectionState.Connected), 'the clients of the dead instance to reconnect');
  for (const mover of movers) expect([0, 2]).toContain(await cluster.placeOf(mover.connection));
  // Sends run one after another, and the one under way now may have started before the instance was marked
  // offline: it retries the refused connection within its budget, then names the dead instance (502). The sends
  // counted from here are the ones that started after.
  const sentAfter = outcomes.length + 1;
  await eventually(() => outcomes.length >= sentAfter + 5, 'traffic after the kill');
  stopTraffic();
  await traffic;

  // Every send went out (202), or went out to the live instances and named the dead one (502) before it was
  // marked offline; none was lost for the clients of the live instances.
  expect(outcomes.filter((o) => o.status !== 202 && o.status !== 502)).toEqual([]);
  expect(outcomes.slice(sentAfter).map((o) => o.status)).toEqual(outcomes.slice(sentAfter).map(() => 202));
  await flushed(survivors);
  for (const survivor of survivors) expect(outcomes.filter((o) => !survivor.received.includes(o.text))).toEqual([]);
  const text = 'after the move';
  expect(await send({ target: 'newMessage', arguments: [text] })).toBe(202);
  expect(await countsOf(text, [...survivors, ...movers])).toEqual([...survivors, ...movers].map(() => 1));

  // Back on its port: checked online again, and negotiate hands it out again.
  await cluster.start(1);
  await cluster.whenHealth(1, true);
  expect((await cluster.negotiateCounts(30))[1]).toBeGreaterThan(0);
  const returning = await connectSpread(1, (n) => `back${n}`);
  const onSecond = returning.find((p) => p.place === 1)!.client;
  expect(await send({ target: 'newMessage', arguments: ['welcome back'] })).toBe(202);
  expect(await countsOf('welcome back', [onSecond, ...survivors])).toEqual([onSecond, ...survivors].map(() => 1));
  // The transitions were logged, naming the endpoint without its key.
  const log = warnings.join('\n');
  expect(log).toContain(`SignalR endpoint [e2](Primary)http://127.0.0.1:${cluster.ports[1]} is offline`);
  expect(log).toContain(`SignalR endpoint [e2](Primary)http://127.0.0.1:${cluster.ports[1]} is online again`);
  for (const key of cluster.keys) expect(log).not.toContain(key);
}, 90_000);

test('a secondary is used only when no primary is online', async () => {
  cluster.configure(['primary', 'primary', 'secondary']);
  expect((await cluster.negotiateCounts(30))[2]).toBe(0);
  await Promise.all([cluster.kill(0, 'SIGKILL'), cluster.kill(1, 'SIGKILL')]);
  // With no traffic, the periodic checks find them dead.
  await Promise.all([cluster.whenHealth(0, false), cluster.whenHealth(1, false)]);
  expect(await cluster.negotiateCounts(10)).toEqual([0, 0, 10]);
  await Promise.all([cluster.start(0), cluster.start(1)]);
  await Promise.all([cluster.whenHealth(0, true), cluster.whenHealth(1, true)]);
  expect((await cluster.negotiateCounts(30))[2]).toBe(0);
}, 60_000);

test('a bad endpoint setting gives a clear error naming it, never a key', async () => {
  cluster.configure(undefined, { Azure__SignalR__Endpoints__e1__tertiary: `Endpoint=http://127.0.0.1;Port=${cluster.ports[0]};AccessKey=${cluster.keys[0]};Version=1.0;` });
  for (const result of [
    await call(negotiate, { query: { userId: 'x' } }, 'negotiate'),
    await call(handler(sendMessageOptions), { headers: { 'x-user-id': 'x' }, body: { target: 'newMessage', arguments: ['x'] } }, 'sendMessage'),
  ]) {
    expect(result.status).toBe(500);
    expect(errorOf(result)).toEqual({
      code: 'ConfigurationError',
      message: "app setting 'Azure__SignalR__Endpoints__e1__tertiary' is missing or invalid; see the function logs",
      field: 'Azure__SignalR__Endpoints__e1__tertiary',
    });
    expect(result.logs.map((l) => l.text).join('\n')).toMatch(/ends in 'tertiary'/);
    expectNoSecrets(result);
    for (const key of cluster.keys) expect(JSON.stringify(result.body) + result.logs.map((l) => l.text).join('')).not.toContain(key);
  }
  cluster.configure();
});
