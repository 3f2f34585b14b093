/**
 * The binding adapter with several SignalR Service endpoints, each a real recording HTTP server: per-item
 * `endpoints`, the `signalREndpoints` and `signalRNegotiation` inputs, partial failures, and the app's router.
 */
import { ACCESS_KEY, call, errorOf, expectNoSecrets, verifyToken } from '../functions/support';
import type { HttpFunctionOptions, HttpHandler } from '@azure/functions';
import { RecordingServer } from '../support/recordingServer';
import {
  signalRInput,
  signalROutput,
  withSignalR,
  type EndpointRouter,
  type SignalRConnectionInfo,
  type SignalREndpointInfo,
  type SignalRNegotiationContext,
  type SignalROutputValue,
} from '../../src/bindings';
import { getSignalRService, resetSignalRServiceCache } from '../../src/client/service';

const NAMES = ['east', 'north', 'west'] as const;
let servers: RecordingServer[];
let env: Record<string, string>;

const connectionString = (server: RecordingServer): string => `Endpoint=${server.url};AccessKey=${ACCESS_KEY};Version=1.0;`;
const sends = (server: RecordingServer): string[] => server.requests.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.rawPath}`);

beforeAll(async () => {
  servers = await Promise.all(NAMES.map(() => RecordingServer.start({ status: 202 })));
});
afterAll(async () => {
  resetSignalRServiceCache();
  await Promise.all(servers.map((s) => s.close()));
});
beforeEach(() => {
  resetSignalRServiceCache();
  for (const server of servers) {
    server.requests.length = 0;
    server.respondWith((request) => ({ status: request.method === 'POST' ? 202 : 200 }));
  }
  env = { SignalREndpointHealthIntervalSeconds: '3600' };
  servers.forEach((server, i) => (env[`Azure__SignalR__Endpoints__${NAMES[i]}`] = connectionString(server)));
  env.Azure__SignalR__Endpoints__west__secondary = env.Azure__SignalR__Endpoints__west!;
  delete env.Azure__SignalR__Endpoints__west;
});

function wrap(options: Omit<HttpFunctionOptions, 'handler'>, handler: HttpHandler, router?: Partial<EndpointRouter>): HttpHandler {
  return withSignalR({ methods: ['POST'], authLevel: 'anonymous', ...options, handler }, { env: () => env, ...(router === undefined ? {} : { router }) }).handler;
}

const endpointsInput = signalRInput.endpoints({ hubName: 'chat' });
const listEndpoints = wrap({ extraInputs: [endpointsInput] }, async (_request, context) => ({ jsonBody: context.extraInputs.get(endpointsInput) }));
const output = signalROutput.signalR({ hubName: 'chat' });
function sender(value: SignalROutputValue, router?: Partial<EndpointRouter>): HttpHandler {
  return wrap({ extraOutputs: [output] }, async (_request, context) => {
    context.extraOutputs.set(output, value);
    return { status: 202 };
  }, router);
}

test('signalREndpoints lists every endpoint with the official JSON names and values', async () => {
  const result = await call(listEndpoints);
  expect(result.status).toBe(200);
  expect(result.body).toEqual([
    { endpointType: 'Primary', name: 'east', endpoint: servers[0]!.url, online: true },
    { endpointType: 'Primary', name: 'north', endpoint: servers[1]!.url, online: true },
    { endpointType: 'Secondary', name: 'west', endpoint: servers[2]!.url, online: true },
  ]);
  expectNoSecrets(result);
});

test('without endpoints a message goes to every online endpoint; with them, only to those', async () => {
  expect((await call(sender({ target: 't', arguments: [] }))).status).toBe(202);
  expect(servers.map(sends)).toEqual([['POST /api/hubs/chat/:send'], ['POST /api/hubs/chat/:send'], ['POST /api/hubs/chat/:send']]);

  const listed = (await call(listEndpoints)).body as SignalREndpointInfo[];
  for (const server of servers) server.requests.length = 0;
  const picked = await call(sender([
    { target: 't', arguments: [], userId: 'u', endpoints: [listed[2]!] },
    { action: 'add', userId: 'u', groupName: 'g', endpoints: [{ name: 'EAST' }, { endpoint: `${servers[1]!.url}/` }] },
  ]));
  expect(picked.status).toBe(202);
  expect(servers.map(sends)).toEqual([['PUT /api/hubs/chat/users/u/groups/g'], ['PUT /api/hubs/chat/users/u/groups/g'], ['POST /api/hubs/chat/users/u/:send']]);
});

test('an endpoints entry naming no configured endpoint, or an empty list, fails the output before anything is sent', async () => {
  const cases: Array<[SignalROutputValue, string, RegExp]> = [
    [[{ target: 'ok', arguments: [] }, { target: 't', arguments: [], endpoints: [{ name: 'south' }] }], '[1].endpoints', /names no configured endpoint \(name 'south'\)/],
    [{ target: 't', arguments: [], endpoints: [{ name: 'east', endpointType: 'Secondary' }] }, 'endpoints', /names no configured endpoint/],
    [{ target: 't', arguments: [], endpoints: [] }, 'endpoints', /is empty/],
    [{ target: 't', arguments: [], endpoints: [{ online: true }] as never }, 'endpoints', /needs a name or an endpoint/],
    [{ action: 'remove', userId: 'u', groupName: 'g', endpoints: [{ name: 'east', endpointType: 'Tertiary' }] as never }, 'endpoints', /'Primary' or 'Secondary'/],
  ];
  for (const [value, field, message] of cases) {
    const result = await call(sender(value));
    expect(result.status).toBe(500);
    expect(errorOf(result)).toMatchObject({ code: 'InvalidSignalROutput', field });
    expect(errorOf(result).message).toMatch(message);
    expectNoSecrets(result);
  }
  expect(servers.map(sends)).toEqual([[], [], []]);
});

test('signalRNegotiation gives a token on every endpoint, offline ones included, each for its own URL', async () => {
  const negotiation = signalRInput.negotiation({ hubName: 'Chat', userId: '{query.user}' });
  const handler = wrap({ extraInputs: [negotiation] }, async (_request, context) => ({ jsonBody: context.extraInputs.get(negotiation) }));
  servers[1]!.respondWith({ status: 503 });
  // Make north offline: a failed send has it checked at once, and its health answers 503.
  const north = getSignalRService('AzureSignalRConnectionString', env).endpoints[1]!;
  const offline = new Promise<void>((resolve) => north.health.onChange((online) => online || resolve()));
  await call(sender({ target: 't', arguments: [] }));
  await offline;
  const result = await call(handler, { query: { user: 'ann' } });
  expect(result.status).toBe(200);
  const body = result.body as SignalRNegotiationContext;
  expect(body.endpoints.map((e) => [e.name, e.endpointType, e.online])).toEqual([['east', 'Primary', true], ['north', 'Primary', false], ['west', 'Secondary', true]]);
  body.endpoints.forEach((entry, i) => {
    expect(entry.endpoint).toBe(servers[i]!.url);
    expect(entry.connectionInfo.url).toBe(`${servers[i]!.url}/client/?hub=chat`);
    const claims = verifyToken(entry.connectionInfo.accessToken);
    expect(claims.aud).toBe(entry.connectionInfo.url);
    expect(claims['asrs.s.uid']).toBe('ann');
  });
});

test('a send that some endpoints accept and one refuses: 502 naming it, the log names its URL, and it is checked at once', async () => {
  servers[1]!.respondWith((request) => ({ status: request.method === 'HEAD' ? 200 : 500 }));
  const result = await call(sender({ target: 't', arguments: ['x'] }));
  expect(result.status).toBe(502);
  expect(errorOf(result).code).toBe('SignalRPartialFailure');
  expect(errorOf(result).message).toMatch(/succeeded on 2 of 3 SignalR Service endpoints and failed on 'north'/);
  expect(result.logs.map((l) => l.text).join('\n')).toContain(`[north](Primary)${servers[1]!.url}: SignalR Service broadcast on hub 'chat' failed with HTTP 500`);
  expectNoSecrets(result);
  await servers[1]!.waitForRequests(2);
  expect(servers[1]!.requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual(['POST /api/hubs/chat/:send', 'HEAD /api/health']);
});

test('a send every endpoint refuses is answered as with one endpoint (503 when unavailable)', async () => {
  for (const server of servers) server.respondWith({ status: 503 });
  const result = await call(sender({ target: 't', arguments: [] }));
  expect(result.status).toBe(503);
  expect(errorOf(result).code).toBe('SignalRServiceUnavailable');
});

test('the app router: negotiate by a region header, broadcasts to the endpoints it returns', async () => {
  const router: Partial<EndpointRouter> = {
    getNegotiateEndpoint: (context, endpoints) => endpoints.find((e) => e.name === context.headers?.get('x-region')),
    getEndpointsForBroadcast: (endpoints) => endpoints.filter((e) => e.type === 'secondary'),
  };
  const connectionInfo = signalRInput.connectionInfo({ hubName: 'chat' });
  const negotiate = wrap({ extraInputs: [connectionInfo] }, async (_request, context) => ({ jsonBody: context.extraInputs.get(connectionInfo) }), router);
  const west = await call(negotiate, { headers: { 'x-region': 'west' } });
  expect((west.body as SignalRConnectionInfo).url).toBe(`${servers[2]!.url}/client/?hub=chat`);
  // No region: the router answers undefined, and the default picks a primary.
  const other = await call(negotiate);
  expect([servers[0]!.url, servers[1]!.url].map((url) => `${url}/client/?hub=chat`)).toContain((other.body as SignalRConnectionInfo).url);

  expect((await call(sender({ target: 't', arguments: [] }, router))).status).toBe(202);
  expect(servers.map(sends)).toEqual([[], [], ['POST /api/hubs/chat/:send']]);

  const broken = await call(sender({ target: 't', arguments: [] }, { getEndpointsForBroadcast: () => [] }));
  expect(broken.status).toBe(500);
  expect(errorOf(broken)).toMatchObject({ code: 'SignalRRoutingError' });
});

test('with one endpoint, endpoints may name it (as the signalREndpoints input lists it) and nothing else', async () => {
  env = { AzureSignalRConnectionString: connectionString(servers[0]!) };
  const listed = (await call(listEndpoints)).body as SignalREndpointInfo[];
  expect(listed).toEqual([{ endpointType: 'Primary', name: '', endpoint: servers[0]!.url, online: true }]);
  expect((await call(sender({ target: 't', arguments: [], endpoints: listed }))).status).toBe(202);
  expect(sends(servers[0]!)).toEqual(['POST /api/hubs/chat/:send']);
  expect((await call(sender({ target: 't', arguments: [], endpoints: [{ name: 'east' }] }))).status).toBe(500);
});
