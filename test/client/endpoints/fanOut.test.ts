/**
 * The REST fan-out of a service with several endpoints, against real emulators (in process here; the suite in
 * test/functions/multiEndpoint.test.ts runs them as separate processes and kills one) and official clients.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceRuleError } from '../../../src/contract';
import { scanEndpointEntries, parseEndpointSettings } from '../../../src/client/config/endpointSettings';
import { SignalREndpointsError } from '../../../src/client/endpoints/errors';
import { EndpointRoutingError } from '../../../src/client/endpoints/router';
import { SignalRServiceError } from '../../../src/client/rest/errors';
import { createSignalRService, type ClosableSignalRService, type ServiceEndpoint } from '../../../src/client/service';
import { startEmulator, type RunningEmulator } from '../../../src/emulator';
import { connectClient, EMULATOR_KEY, type TestClient } from '../../emulator/client-harness';
import { FakeClock } from '../../support/fakeClock';
import { freePort } from '../../support/nodeProcess';
import { RecordingServer } from '../../support/recordingServer';

const HUB = 'fan';
let emulators: RunningEmulator[] = [];
let deadUrl: string;
const clients: TestClient[] = [];
const services: ClosableSignalRService[] = [];

beforeAll(async () => {
  emulators = await Promise.all([0, 1, 2].map(() => startEmulator({ port: 0 })));
  // A port nothing listens on: an instance that is down.
  deadUrl = `http://127.0.0.1:${await freePort()}`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  for (const service of services.splice(0)) service.close();
});

afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

/** A service over the given instances, named e0, e1, ... (`dead` for the dead one); health only when asked. */
function serviceOver(urls: string[], log: string[] = []): ClosableSignalRService {
  const env: Record<string, string> = {};
  urls.forEach((url, i) => {
    const name = url === deadUrl ? 'dead' : `e${i}`;
    env[`Azure__SignalR__Endpoints__${name}`] = `Endpoint=${url};AccessKey=${EMULATOR_KEY};Version=1.0;`;
  });
  const service = createSignalRService(parseEndpointSettings('AzureSignalRConnectionString', env, scanEndpointEntries(env)), {
    // No periodic check during a test: only the checks a failed call triggers.
    healthIntervalMs: 3_600_000,
    rest: { timeoutMs: 3000 },
    log: (line) => log.push(line),
  });
  services.push(service);
  return service;
}

function endpointOf(service: ClosableSignalRService, url: string): ServiceEndpoint {
  const found = service.endpoints.find((e) => e.endpoint === url);
  if (found === undefined) throw new Error(`no endpoint ${url}`);
  return found;
}

function wentOffline(endpoint: ServiceEndpoint): Promise<number> {
  return new Promise((resolve) => {
    const stop = endpoint.health.onChange((online, checks) => {
      if (!online) {
        stop();
        resolve(checks);
      }
    });
  });
}

async function client(emulator: RunningEmulator, user: string): Promise<TestClient> {
  const c = await connectClient(emulator, { hub: HUB, user });
  clients.push(c);
  return c;
}

/** Sends `text` with `send`, then a broadcast marker; once every client has the marker, earlier copies are in too. */
async function deliveredCounts(service: ClosableSignalRService, everyone: TestClient[], text: string): Promise<number[]> {
  const marker = `marker-${Math.random()}`;
  await service.rest.broadcast(HUB, { target: 'receive', arguments: [marker] });
  await Promise.all(everyone.map(async (c) => {
    while (!c.received.some((args) => args[0] === marker)) await c.waitForCount(c.received.length + 1);
  }));
  return everyone.map((c) => c.received.filter((args) => args[0] === text).length);
}

test('sends and group actions reach the clients of every endpoint exactly once', async () => {
  const service = serviceOver(emulators.map((e) => e.url));
  const everyone = await Promise.all(emulators.map((e, i) => client(e, `user${i}`)));
  const aliceAgain = await client(emulators[2]!, 'user0');

  await service.rest.broadcast(HUB, { target: 'receive', arguments: ['to all'] });
  expect(await deliveredCounts(service, [...everyone, aliceAgain], 'to all')).toEqual([1, 1, 1, 1]);

  await service.rest.sendToUser(HUB, 'user0', { target: 'receive', arguments: ['to user0'] });
  expect(await deliveredCounts(service, [...everyone, aliceAgain], 'to user0')).toEqual([1, 0, 0, 1]);

  await service.rest.addUserToGroup(HUB, 'user1', 'team');
  await service.rest.addConnectionToGroup(HUB, 'team', everyone[2]!.connection.connectionId!);
  await service.rest.sendToGroup(HUB, 'team', { target: 'receive', arguments: ['to team'] });
  expect(await deliveredCounts(service, [...everyone, aliceAgain], 'to team')).toEqual([0, 1, 1, 0]);

  expect(await service.rest.userInGroup(HUB, 'user1', 'team')).toBe(true);
  expect(await service.rest.groupExists(HUB, 'team')).toBe(true);
  expect(await service.rest.connectionExists(HUB, everyone[1]!.connection.connectionId!)).toBe(true);
  expect(await service.rest.userExists(HUB, 'nobody')).toBe(false);
});

test('a call on an endpoint that is down fails naming it, reaches the others, and has it checked at once', async () => {
  const log: string[] = [];
  const service = serviceOver([emulators[0]!.url, deadUrl, emulators[1]!.url], log);
  const listeners = [await client(emulators[0]!, 'a'), await client(emulators[1]!, 'b')];
  const dead = endpointOf(service, deadUrl);
  const offline = wentOffline(dead);

  const error = await service.rest.broadcast(HUB, { target: 'receive', arguments: ['partial'] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SignalREndpointsError);
  const failure = error as SignalREndpointsError;
  expect(failure.partial).toBe(true);
  expect(failure.failures.map((f) => f.endpoint)).toEqual([dead]);
  expect(failure.succeeded.map((e) => e.name)).toEqual(['e0', 'e2']);
  expect(failure.message).toContain(`[dead](Primary)${deadUrl}`);
  expect(failure.message).toMatch(/failed on 1 of 3 endpoints/);
  expect(failure.message).not.toContain(EMULATOR_KEY);

  // No timer ran (the interval is an hour): the failed call itself had it checked.
  expect(await offline).toBe(1);
  expect(log).toEqual([`SignalR endpoint [dead](Primary)${deadUrl} is offline: health check 1 failed`]);
  // Offline, it is left out: the marker below goes to the two live ones only.
  expect(await deliveredCounts(service, listeners, 'partial')).toEqual([1, 1]);
  await service.rest.broadcast(HUB, { target: 'receive', arguments: ['after'] });
  expect(await deliveredCounts(service, listeners, 'after')).toEqual([1, 1]);
});

test('existence checks: true when any endpoint says so, an error only when none did and one could not answer', async () => {
  const service = serviceOver([emulators[0]!.url, deadUrl]);
  await client(emulators[0]!, 'here');
  expect(await service.rest.userExists(HUB, 'here')).toBe(true);
  await expect(service.rest.userExists(HUB, 'nowhere')).rejects.toBeInstanceOf(SignalREndpointsError);
});

test('adding a connection to a group: the instances without it answering 404 is fine; 404 everywhere is a not-found', async () => {
  const service = serviceOver(emulators.map((e) => e.url));
  const c = await client(emulators[1]!, 'x');
  await service.rest.addConnectionToGroup(HUB, 'solo', c.connection.connectionId!);
  expect(emulators[1]!.core.groupExists(HUB, 'solo')).toBe(true);
  const error = await service.rest.addConnectionToGroup(HUB, 'solo', 'no-such-connection').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SignalREndpointsError);
  const failures = (error as SignalREndpointsError).failures;
  expect(failures).toHaveLength(3);
  expect(failures.every((f) => f.error instanceof SignalRServiceError && f.error.status === 404)).toBe(true);
  // A 404 is an answer, not an outage: nothing is re-checked.
  expect(service.endpoints.map((e) => e.health.checks)).toEqual([0, 0, 0]);
});

test('a call may name its endpoints: only those get it', async () => {
  const service = serviceOver(emulators.map((e) => e.url));
  const everyone = await Promise.all(emulators.map((e, i) => client(e, `u${i}`)));
  const third = endpointOf(service, emulators[2]!.url);
  await service.rest.broadcast(HUB, { target: 'receive', arguments: ['only third'] }, { endpoints: [{ name: third.name, type: third.type, endpoint: third.endpoint }] });
  expect(await deliveredCounts(service, everyone, 'only third')).toEqual([0, 0, 1]);
  await expect(service.rest.broadcast(HUB, { target: 'receive', arguments: [] }, { endpoints: [] })).rejects.toBeInstanceOf(EndpointRoutingError);
  await expect(service.rest.broadcast(HUB, { target: 'receive', arguments: [] }, { endpoints: [{ name: 'x', type: 'primary', endpoint: 'http://elsewhere' }] }))
    .rejects.toThrow(/does not have: http:\/\/elsewhere/);
});

test('an argument the service rules refuse is refused before sending, with the single client\'s error', async () => {
  const service = serviceOver([emulators[0]!.url, deadUrl]);
  await expect(service.rest.sendToGroup(HUB, '', { target: 'receive', arguments: [] })).rejects.toBeInstanceOf(ServiceRuleError);
  expect(service.endpoints.map((e) => e.health.checks)).toEqual([0, 0]);
});

test('the endpoints are called concurrently: the second gets the call before the first answers', async () => {
  let secondReceived: () => void = () => undefined;
  const secondGotIt = new Promise<void>((resolve) => (secondReceived = resolve));
  const servers = [
    http.createServer((_req, res) => void secondGotIt.then(() => res.writeHead(202).end())),
    http.createServer((_req, res) => {
      secondReceived();
      res.writeHead(202).end();
    }),
  ];
  const urls = await Promise.all(servers.map((s) => new Promise<string>((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)))));
  try {
    // Sequential calls would leave the first waiting for ever: the call would time out.
    await expect(serviceOver(urls).rest.broadcast(HUB, { target: 'receive', arguments: [] })).resolves.toBeUndefined();
  } finally {
    for (const s of services.splice(0)) s.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
});

test('negotiate uses the router given for the call, and a custom router for calls applies too', async () => {
  const service = serviceOver(emulators.map((e) => e.url));
  const second = endpointOf(service, emulators[1]!.url);
  const info = await service.clientConnectionInfo(HUB, {
    userId: 'r',
    request: { headers: new Headers({ 'x-region': 'e1' }) },
    router: { getNegotiateEndpoint: (context, endpoints) => endpoints.find((e) => e.name === context.headers?.get('x-region')) },
  });
  expect(info.url).toBe(`${second.config.clientEndpoint}/client/?hub=${HUB}`);

  const everyone = await Promise.all(emulators.map((e, i) => client(e, `r${i}`)));
  await service.rest.sendToUser(HUB, 'r0', { target: 'receive', arguments: ['routed'] }, { router: { getEndpointsForUser: () => [] } }).then(
    () => { throw new Error('expected the empty route to be refused'); },
    (error: unknown) => expect(error).toBeInstanceOf(EndpointRoutingError),
  );
  expect(await deliveredCounts(service, everyone, 'routed')).toEqual([0, 0, 0]);
});

test('health timers: one per endpoint with several, none with one, all gone after close()', () => {
  const clock = new FakeClock();
  const env = { a: `Endpoint=http://a.invalid;AccessKey=${EMULATOR_KEY}`, b: `Endpoint=http://b.invalid;AccessKey=${EMULATOR_KEY}` };
  const settings = (names: Array<keyof typeof env>) =>
    names.map((name) => ({ name, type: 'primary' as const, setting: name, config: parseEndpointSettings(name, { [name]: env[name] }, [])[0]!.config }));
  const single = createSignalRService(settings(['a']), { clock });
  expect(clock.pending()).toBe(0);
  expect(single.endpoints.map((e) => e.online)).toEqual([true]);
  single.close();
  const several = createSignalRService(settings(['a', 'b']), { clock });
  expect(clock.pending()).toBe(2);
  several.close();
  expect(clock.pending()).toBe(0);
});

test("this app's own bound of calls in flight is not an outage: no health change, no re-check", async () => {
  const busy = await RecordingServer.start({ hang: true });
  const env = {
    Azure__SignalR__Endpoints__busy: `Endpoint=${busy.url};AccessKey=${EMULATOR_KEY};Version=1.0;`,
    Azure__SignalR__Endpoints__e0: `Endpoint=${emulators[0]!.url};AccessKey=${EMULATOR_KEY};Version=1.0;`,
  };
  const service = createSignalRService(parseEndpointSettings('AzureSignalRConnectionString', env, scanEndpointEntries(env)), {
    healthIntervalMs: 3_600_000,
    rest: { timeoutMs: 3000, maxInFlight: 1 },
    log: () => undefined,
  });
  services.push(service);
  try {
    const hanging = service.rest.broadcast(HUB, { target: 'receive', arguments: ['held'] }).catch((e: unknown) => e);
    await busy.waitForRequests(1);
    // The one call the busy endpoint may have is taken: its health check is refused locally, and changes nothing.
    expect(await service.rest.isServiceHealthy()).toBe(true);
    expect(service.endpoints.map((e) => e.online)).toEqual([true, true]);
    const refused = await service.rest.broadcast(HUB, { target: 'receive', arguments: ['refused'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignalREndpointsError);
    const checksBefore = service.endpoints[0]!.health.checks;
    await new Promise((resolve) => setImmediate(resolve));
    expect(service.endpoints[0]!.health.checks).toBe(checksBefore);
    service.close();
    await hanging;
  } finally {
    await busy.close();
  }
});
