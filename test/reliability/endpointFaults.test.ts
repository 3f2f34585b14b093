/**
 * One of three SignalR Service endpoints killed under traffic (issue 14, item 6): the app's real functions over
 * three emulator processes configured as three endpoints (test/support/endpointCluster.ts), official
 * @microsoft/signalr clients negotiating through the negotiate function (so they spread), and `sendMessage`
 * broadcasting, sending to a user and to a group without pause while one process is killed with SIGKILL. Each
 * instance is killed once, in turn, and started again after.
 *
 * A kill is settled (test/support/faultLedger.ts) as survived only once all of this was observed:
 * - every call answered what README "Scaling out" promises: 202, or, while the dead endpoint was not yet marked
 *   offline, `502 SignalRPartialFailure` saying the 2 others accepted it and naming the dead one (its log line with
 *   its URL); every call started once it was offline answered 202;
 * - every message of those calls (the 502s were accepted by the live endpoints) reached each client of the live
 *   endpoints it was meant for exactly once, and no client it was not meant for;
 * - negotiations once it was offline went to the live endpoints only; the dead one's clients reconnected there
 *   and got every message sent after they were back, once;
 * - no client got any message twice.
 * No timing is asserted: each step waits for its condition with a generous bound.
 */
// First: drops the "Skipping call to register function ... test mode" warnings the function modules print on import.
import '../functions/support';
import { appErrorOf, callFunction, sleep, type FunctionHandler } from './support';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import { sendMessageOptions } from '../../functions/sendMessage';
import { addToGroupOptions } from '../../functions/addToGroup';
import { startEndpointCluster, type EndpointCluster } from '../support/endpointCluster';
import { failedWith, FaultLedger, RECOVERED, type Outcome } from '../support/faultLedger';
import { waitUntil } from '../support/loadClients';
import { FigureRecorder } from '../support/reliabilityFigures';

const HUB = 'chat';
const TARGET = 'numbered';
const USERS = ['ann', 'bob', 'cat'];
/** Users `GROUP` holds (user-group membership: on every instance, for current and future connections). */
const GROUP = 'team';
const GROUP_USERS = ['ann', 'bob'];
/** Clients each instance holds when it is killed. */
const CLIENTS_PER_INSTANCE = 2;
/** Sender loops, each one call at a time. */
const SENDERS = 2;
/** Calls that must have completed before the kill, and after the dead endpoint's clients are back. */
const CALLS_AROUND = 20;
/** Bound of every wait: far beyond what each takes on a busy machine, short of the test's timeout. */
const WAIT_MS = 30_000;

const figures = new FigureRecorder('endpoint-faults');
const ledger = new FaultLedger(figures);
const sendMessage = sendMessageOptions.handler as FunctionHandler;
const addToGroup = addToGroupOptions.handler as FunctionHandler;

interface Watched {
  user: string;
  connection: HubConnection;
  /** Times each message id arrived. */
  counts: Map<string, number>;
  /** The instance it was on when the traffic started. */
  place: number;
  /** Index of the first call that must reach it where it is now (calls started earlier may have missed it). */
  reachableFrom: number;
  reconnects: number;
}

type Kind = 'broadcast' | 'user' | 'group';

interface Call {
  id: string;
  kind: Kind;
  /** The user a `user` call is sent to. */
  user?: string;
  /** Position in the order calls started. */
  index: number;
  /** The dead endpoint was already marked offline when the call started. */
  startedOffline: boolean;
  status?: number;
  code?: string;
  message?: string;
  logs?: string[];
}

let cluster: EndpointCluster;
const warnings: string[] = [];
let warnSpy: jest.SpyInstance;
const clients: Watched[] = [];
/** Kills not yet settled: counted as injected and not survived by afterEach when a test stops part-way. */
let unsettledKills = 0;
let stopTraffic: () => void = () => undefined;

beforeAll(async () => {
  warnSpy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  // Checked every second: a dead instance is found by the immediate check a failed call asks for, or the next one.
  cluster = await startEndpointCluster({ hub: HUB, healthIntervalSeconds: 1 });
}, 60_000);

afterEach(async () => {
  stopTraffic();
  await Promise.all(clients.splice(0).map((c) => c.connection.stop()));
  ledger.unsettled({ 'endpoint-killed': unsettledKills });
  unsettledKills = 0;
});

afterAll(async () => {
  await cluster?.close();
  warnSpy?.mockRestore();
  figures.save();
});

const isFor = (call: Call, client: Watched): boolean =>
  call.kind === 'broadcast' || (call.kind === 'user' ? client.user === call.user : GROUP_USERS.includes(client.user));

/** Connects clients as USERS in turn until every instance holds CLIENTS_PER_INSTANCE of them. */
async function connectSpread(): Promise<void> {
  const perInstance = (i: number): number => clients.filter((c) => c.place === i).length;
  for (let n = 0; n < 60 && cluster.ports.some((_, i) => perInstance(i) < CLIENTS_PER_INSTANCE); n++) {
    const user = USERS[n % USERS.length]!;
    const connection = cluster.buildClient(user);
    const client: Watched = { user, connection, counts: new Map(), place: -1, reachableFrom: 0, reconnects: 0 };
    connection.on(TARGET, (id: unknown) => client.counts.set(String(id), (client.counts.get(String(id)) ?? 0) + 1));
    await connection.start();
    clients.push(client);
    client.place = await cluster.placeOf(connection);
  }
  expect(cluster.ports.map((_, i) => perInstance(i) >= CLIENTS_PER_INSTANCE)).toEqual(cluster.ports.map(() => true));
}

async function send(call: Call): Promise<void> {
  const body = { target: TARGET, arguments: [call.id], ...(call.kind === 'user' ? { userId: call.user } : call.kind === 'group' ? { groupName: GROUP } : {}) };
  const result = await callFunction(sendMessage, { path: 'sendMessage', headers: { 'x-user-id': 'sender', 'content-type': 'application/json' }, body: JSON.stringify(body) }, 'sendMessage');
  call.status = result.status;
  const error = appErrorOf(result);
  if (error !== undefined) {
    call.code = error.code;
    call.message = error.message;
  }
  call.logs = result.logs;
}

/** The answer README "Scaling out" promises a call made while `dead` is down, or why this one is not it. */
function wrongAnswer(call: Call, dead: number): string | undefined {
  if (call.status === 202) return undefined;
  const name = cluster.names[dead]!;
  const partial = `the call succeeded on 2 of 3 SignalR Service endpoints and failed on '${name}';`;
  const logs = (call.logs ?? []).join('\n');
  if (call.startedOffline) return `${call.id} started once '${name}' was offline and answered ${call.status} ${call.code ?? ''}`;
  if (call.status !== 502 || call.code !== 'SignalRPartialFailure' || !call.message?.startsWith(partial)) {
    return `${call.id} answered ${call.status} ${call.code ?? ''} ${call.message ?? ''}`;
  }
  if (!logs.includes(`http://127.0.0.1:${cluster.ports[dead]}`)) return `${call.id}'s log does not name the URL of '${name}': ${logs}`;
  return undefined;
}

/** What went wrong with the deliveries of the calls answered as promised, and the one-number summary of them. */
function deliveryProblems(calls: readonly Call[]): { problems: string[]; deliveries: number } {
  const missing: string[] = [];
  const extra: string[] = [];
  for (const call of calls) {
    for (const [c, client] of clients.entries()) {
      const count = client.counts.get(call.id) ?? 0;
      const at = `${call.id} (${call.kind}) at client ${c} (${client.user}, ${client.reconnects > 0 ? 'moved' : `on ${cluster.names[client.place]}`})`;
      if (count > 1) extra.push(`${at}: ${count} times`);
      else if (!isFor(call, client) && count > 0) extra.push(`${at}: not meant for it`);
      else if (isFor(call, client) && count === 0 && call.index >= client.reachableFrom) missing.push(at);
    }
  }
  const problems = [...missing.slice(0, 5).map((m) => `lost ${m}`), ...extra.slice(0, 5).map((m) => `extra ${m}`)];
  if (missing.length + extra.length > problems.length) problems.push(`(${missing.length} lost, ${extra.length} extra in all)`);
  return { problems, deliveries: extra.length > 0 ? 2 : missing.length > 0 ? 0 : 1 };
}

/** Waits until every client has received `id`: everything sent to it before has arrived too (order per connection). */
async function flush(label: string): Promise<void> {
  const call: Call = { id: label, kind: 'broadcast', index: Number.MAX_SAFE_INTEGER, startedOffline: true };
  await send(call);
  expect({ status: call.status, code: call.code }).toEqual({ status: 202, code: undefined });
  await waitUntil(() => clients.every((c) => c.counts.has(label)), WAIT_MS, `every client to receive ${label}`);
}

async function joinGroup(user: string): Promise<void> {
  const result = await callFunction(addToGroup, { path: 'addToGroup', headers: { 'x-user-id': user, 'content-type': 'application/json' }, body: JSON.stringify({ groupName: GROUP }) }, 'addToGroup');
  expect({ user, status: result.status, error: appErrorOf(result) }).toEqual({ user, status: 200, error: undefined });
}

describe('one of three endpoints killed under traffic', () => {
  it.each([0, 1, 2])('instance %i killed with SIGKILL: no message lost or doubled for the clients of the live ones', async (dead) => {
    const name = cluster.names[dead]!;
    const live = cluster.ports.map((_, i) => i).filter((i) => i !== dead);
    const endpoint = cluster.endpoints()[dead]!;
    // The previous kill's instance is back and checked online; a user-group membership an instance lost with its
    // process is not replayed to it (a known limit, README "Scaling out"), so the users join again.
    await waitUntil(() => cluster.endpoints().every((e) => e.online), WAIT_MS, 'every endpoint to be online');
    for (const user of GROUP_USERS) await joinGroup(user);
    await connectSpread();

    const calls: Call[] = [];
    let started = 0;
    for (const client of clients) {
      client.connection.onreconnected(() => {
        client.reconnects += 1;
        client.reachableFrom = started;
      });
    }
    let sending = true;
    stopTraffic = () => (sending = false);
    const senders = Array.from({ length: SENDERS }, async () => {
      while (sending) {
        const index = started++;
        const kind: Kind = (['broadcast', 'user', 'broadcast', 'group'] as const)[index % 4]!;
        const call: Call = { id: `${name}-m${index}`, kind, index, startedOffline: !endpoint.online, ...(kind === 'user' ? { user: USERS[index % USERS.length]! } : {}) };
        calls.push(call);
        await send(call);
        await sleep(10);
      }
    });
    const completed = (): number => calls.filter((c) => c.status !== undefined).length;
    await waitUntil(() => completed() >= CALLS_AROUND, WAIT_MS, 'traffic before the kill');

    unsettledKills += 1;
    await cluster.kill(dead, 'SIGKILL');
    await waitUntil(() => !endpoint.online, WAIT_MS, `'${name}' to be marked offline`);
    const negotiated = await cluster.negotiateCounts(30);

    const movers = clients.filter((c) => c.place === dead);
    await waitUntil(() => movers.every((c) => c.reconnects > 0 && c.connection.state === HubConnectionState.Connected), WAIT_MS, `the clients of '${name}' to reconnect`);
    const moved = await Promise.all(movers.map((c) => cluster.placeOf(c.connection)));
    const afterMove = started;
    await waitUntil(() => calls.filter((c) => c.index >= afterMove && c.status !== undefined).length >= CALLS_AROUND, WAIT_MS, 'traffic after the move');
    stopTraffic();
    await Promise.all(senders);
    await flush(`${name}-flushed`);

    const problems: string[] = [];
    const answered = calls.map((call) => wrongAnswer(call, dead));
    problems.push(...answered.filter((p): p is string => p !== undefined).slice(0, 5));
    if (negotiated[dead] !== 0) problems.push(`${negotiated[dead]} of 30 negotiations once '${name}' was offline went to it`);
    for (const place of moved) if (!live.includes(place)) problems.push(`a client of '${name}' reconnected to ${cluster.names[place]}`);
    for (const client of clients) if (client.place !== dead && client.reconnects > 0) problems.push(`a client of live '${cluster.names[client.place]}' was disconnected`);
    const delivered = deliveryProblems(calls.filter((_, i) => answered[i] === undefined));
    problems.push(...delivered.problems);
    if (!warnings.some((line) => line.includes(`SignalR endpoint [${name}](Primary)http://127.0.0.1:${cluster.ports[dead]} is offline`))) {
      problems.push(`no log line says '${name}' is offline`);
    }
    const logged = [...warnings, ...calls.flatMap((c) => c.logs ?? [])].join('\n');
    if (cluster.keys.some((key) => logged.includes(key))) problems.push('an AccessKey reached a log');

    const observed: Outcome = problems.length === 0 ? { result: 'recovered', deliveries: delivered.deliveries } : failedWith(problems.join('; '), delivered.deliveries);
    unsettledKills -= 1;
    const partialFailures = calls.filter((c) => c.status === 502).length;
    figures.add('messagesSent', calls.length);
    figures.add('messagesReceived', clients.reduce((sum, c) => sum + [...c.counts.values()].reduce((a, b) => a + b, 0), 0));
    figures.detail('endpointKill.calls', calls.length);
    figures.detail('endpointKill.accepted', calls.filter((c) => c.status === 202).length);
    figures.detail('endpointKill.partialFailures', partialFailures);
    figures.detail('endpointKill.clients', clients.length);
    figures.detail('endpointKill.moved', movers.length);
    ledger.settle(RECOVERED, observed, { 'endpoint-killed': 1 });

    // Back on its port, checked online again: the next kill starts from three live instances.
    await cluster.start(dead);
    await waitUntil(() => endpoint.online, WAIT_MS, `'${name}' to be checked online again`);
  }, 120_000);
});
