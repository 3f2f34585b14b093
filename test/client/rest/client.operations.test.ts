import jwt from 'jsonwebtoken';
import { accessKeyAuthorizer } from '../../../src/client/auth/authorizers';
import { TokenIssuer } from '../../../src/client/auth/tokens';
import { SignalRRestClient } from '../../../src/client/rest/client';
import { SignalRServiceError } from '../../../src/client/rest/errors';
import { ServiceRuleError } from '../../../src/contract';
import { RecordingServer, type RecordedRequest } from '../../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const payload = { target: 'newMessage', arguments: [{ text: 'hi' }, 42] };
const payloadJson = JSON.stringify(payload);

/** Answers like the service: 202 for sends, 204 for closeConnections, 200 otherwise. */
function serviceLike(request: RecordedRequest) {
  if (request.method === 'POST' && request.rawPath.endsWith('/:send')) return { status: 202 };
  if (request.method === 'POST') return { status: 204 };
  return { status: 200 };
}

let server: RecordingServer;
let client: SignalRRestClient;

beforeEach(async () => {
  server = await RecordingServer.start(serviceLike);
  client = new SignalRRestClient({ endpoint: server.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), timeoutMs: 5000 });
});

afterEach(async () => {
  client.close();
  await server.close();
});

interface Case {
  name: string;
  call: (c: SignalRRestClient) => Promise<unknown>;
  method: string;
  path: string;
  query?: Record<string, string[]>;
  body?: string;
  result?: unknown;
}

const cases: Case[] = [
  { name: 'isServiceHealthy', call: (c) => c.isServiceHealthy(), method: 'HEAD', path: '/api/health', result: true },
  { name: 'broadcast', call: (c) => c.broadcast('Chat', payload), method: 'POST', path: '/api/hubs/chat/:send', body: payloadJson },
  {
    name: 'broadcast excluded', call: (c) => c.broadcast('chat', payload, { excluded: ['c1', 'c/2'] }), method: 'POST', path: '/api/hubs/chat/:send',
    query: { excluded: ['c1', 'c/2'] }, body: payloadJson,
  },
  { name: 'sendToUser', call: (c) => c.sendToUser('chat', 'user/1 ü', payload), method: 'POST', path: '/api/hubs/chat/users/user%2F1%20%C3%BC/:send', body: payloadJson },
  {
    name: 'sendToGroup', call: (c) => c.sendToGroup('chat', 'g?#%', payload, { excluded: ['x'] }), method: 'POST', path: '/api/hubs/chat/groups/g%3F%23%25/:send',
    query: { excluded: ['x'] }, body: payloadJson,
  },
  { name: 'sendToConnection', call: (c) => c.sendToConnection('chat', 'conn-1', payload), method: 'POST', path: '/api/hubs/chat/connections/conn-1/:send', body: payloadJson },
  { name: 'connectionExists', call: (c) => c.connectionExists('chat', 'conn-1'), method: 'HEAD', path: '/api/hubs/chat/connections/conn-1', result: true },
  { name: 'userExists', call: (c) => c.userExists('chat', 'u 1'), method: 'HEAD', path: '/api/hubs/chat/users/u%201', result: true },
  { name: 'groupExists', call: (c) => c.groupExists('chat', 'g1'), method: 'HEAD', path: '/api/hubs/chat/groups/g1', result: true },
  { name: 'userInGroup', call: (c) => c.userInGroup('chat', 'u1', 'g1'), method: 'HEAD', path: '/api/hubs/chat/users/u1/groups/g1', result: true },
  {
    name: 'closeConnection', call: (c) => c.closeConnection('chat', 'conn-1', { reason: 'bye now' }), method: 'DELETE', path: '/api/hubs/chat/connections/conn-1',
    query: { reason: ['bye now'] },
  },
  { name: 'closeConnection without reason', call: (c) => c.closeConnection('chat', 'conn-1'), method: 'DELETE', path: '/api/hubs/chat/connections/conn-1', query: {} },
  {
    name: 'closeAllConnections', call: (c) => c.closeAllConnections('chat', { excluded: ['a', 'b'], reason: 'maintenance' }), method: 'POST', path: '/api/hubs/chat/:closeConnections',
    query: { excluded: ['a', 'b'], reason: ['maintenance'] },
  },
  {
    name: 'closeGroupConnections', call: (c) => c.closeGroupConnections('chat', 'g1', { excluded: ['a'], reason: 'r' }), method: 'POST', path: '/api/hubs/chat/groups/g1/:closeConnections',
    query: { excluded: ['a'], reason: ['r'] },
  },
  {
    name: 'closeUserConnections', call: (c) => c.closeUserConnections('chat', 'u1', { reason: 'r' }), method: 'POST', path: '/api/hubs/chat/users/u1/:closeConnections',
    query: { reason: ['r'] },
  },
  { name: 'addConnectionToGroup', call: (c) => c.addConnectionToGroup('chat', 'g1', 'conn-1'), method: 'PUT', path: '/api/hubs/chat/groups/g1/connections/conn-1' },
  { name: 'removeConnectionFromGroup', call: (c) => c.removeConnectionFromGroup('chat', 'g1', 'conn-1'), method: 'DELETE', path: '/api/hubs/chat/groups/g1/connections/conn-1' },
  { name: 'removeConnectionFromAllGroups', call: (c) => c.removeConnectionFromAllGroups('chat', 'conn-1'), method: 'DELETE', path: '/api/hubs/chat/connections/conn-1/groups' },
  { name: 'addUserToGroup', call: (c) => c.addUserToGroup('chat', 'u1', 'g1'), method: 'PUT', path: '/api/hubs/chat/users/u1/groups/g1', query: {} },
  { name: 'addUserToGroup ttl', call: (c) => c.addUserToGroup('chat', 'u1', 'g1', { ttlSeconds: 60 }), method: 'PUT', path: '/api/hubs/chat/users/u1/groups/g1', query: { ttl: ['60'] } },
  { name: 'addUserToGroup ttl 0', call: (c) => c.addUserToGroup('chat', 'u1', 'g1', { ttlSeconds: 0 }), method: 'PUT', path: '/api/hubs/chat/users/u1/groups/g1', query: { ttl: ['0'] } },
  { name: 'removeUserFromGroup', call: (c) => c.removeUserFromGroup('chat', 'u1', 'g1'), method: 'DELETE', path: '/api/hubs/chat/users/u1/groups/g1' },
  { name: 'removeUserFromAllGroups', call: (c) => c.removeUserFromAllGroups('chat', 'u1'), method: 'DELETE', path: '/api/hubs/chat/users/u1/groups' },
];

describe.each(cases)('$name', ({ call, method, path, query, body, result }) => {
  test('method, raw path, query, body, JWT', async () => {
    const before = Math.floor(Date.now() / 1000);
    await expect(call(client)).resolves.toBe(result);
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.method).toBe(method);
    expect(request.rawPath).toBe(path);
    expect(request.query['api-version']).toEqual(['2022-06-01']);
    if (query !== undefined) {
      const { 'api-version': _version, ...rest } = request.query;
      expect(rest).toEqual(query);
    }
    if (body !== undefined) {
      expect(JSON.parse(request.body)).toEqual(JSON.parse(body));
      expect(request.headers['content-type']).toMatch(/^application\/json/);
    } else {
      expect(request.body).toBe('');
    }
    expect(request.headers.connection).toBe('keep-alive');
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(/^Bearer /);
    const claims = jwt.verify(authorization.slice('Bearer '.length), KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims.aud).toBe(`${server.url}${path}`);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
  });
});

describe('existence checks', () => {
  test.each([
    ['connectionExists', (c: SignalRRestClient) => c.connectionExists('chat', 'x')],
    ['userExists', (c: SignalRRestClient) => c.userExists('chat', 'x')],
    ['groupExists', (c: SignalRRestClient) => c.groupExists('chat', 'x')],
    ['userInGroup', (c: SignalRRestClient) => c.userInGroup('chat', 'x', 'g')],
  ])('%s: 404 -> false, no retry', async (_name, call) => {
    server.respondWith({ status: 404, headers: { 'x-ms-error-code': 'Warning.Connection.NotExisted' } });
    await expect(call(client)).resolves.toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  test('an unexpected status is an error, not false', async () => {
    server.respondWith({ status: 401 });
    await expect(client.userExists('chat', 'u')).rejects.toBeInstanceOf(SignalRServiceError);
  });

  test('health: 503 -> false', async () => {
    server.respondWith({ status: 503 });
    await expect(client.isServiceHealthy()).resolves.toBe(false);
  });
});

describe('status handling', () => {
  test('removeConnectionFromGroup treats 404 as done', async () => {
    server.respondWith({ status: 404 });
    await expect(client.removeConnectionFromGroup('chat', 'g', 'c')).resolves.toBeUndefined();
  });

  test('addConnectionToGroup 404 is an error carrying x-ms-error-code', async () => {
    server.respondWith({ status: 404, headers: { 'x-ms-error-code': 'Error.Connection.NotExisted' }, body: { code: 'x', message: 'Connection c does not exist.' } });
    const error = await client.addConnectionToGroup('chat', 'g', 'c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalRServiceError);
    expect(error).toMatchObject({ status: 404, errorCode: 'Error.Connection.NotExisted', serviceMessage: 'Connection c does not exist.', operation: 'addConnectionToGroup', hub: 'chat' });
  });
});

describe('argument validation (nothing is sent)', () => {
  test.each([
    ['empty hub', (c: SignalRRestClient) => c.broadcast('', payload), 'hub'],
    ['hub starting with a digit', (c: SignalRRestClient) => c.broadcast('1chat', payload), 'hub'],
    ['hub with a slash', (c: SignalRRestClient) => c.broadcast('a/b', payload), 'hub'],
    ['hub with 129 chars', (c: SignalRRestClient) => c.broadcast(`a${'b'.repeat(128)}`, payload), 'hub'],
    ['empty user', (c: SignalRRestClient) => c.sendToUser('chat', '', payload), 'userId'],
    ['empty connection', (c: SignalRRestClient) => c.sendToConnection('chat', '', payload), 'connectionId'],
    ['empty group', (c: SignalRRestClient) => c.sendToGroup('chat', '', payload), 'group'],
    ['whitespace group', (c: SignalRRestClient) => c.groupExists('chat', '  \t'), 'group'],
    ['group over 1024', (c: SignalRRestClient) => c.addUserToGroup('chat', 'u', 'g'.repeat(1025)), 'group'],
    ['missing target', (c: SignalRRestClient) => c.broadcast('chat', { target: '', arguments: [] }), 'payload.target'],
    ['arguments not an array', (c: SignalRRestClient) => c.broadcast('chat', { target: 't', arguments: 'x' as unknown as unknown[] }), 'payload.arguments'],
    ['unserializable arguments', (c: SignalRRestClient) => c.broadcast('chat', { target: 't', arguments: [1n] }), 'payload.arguments'],
    ['negative ttl', (c: SignalRRestClient) => c.addUserToGroup('chat', 'u', 'g', { ttlSeconds: -1 }), 'ttlSeconds'],
    ['fractional ttl', (c: SignalRRestClient) => c.addUserToGroup('chat', 'u', 'g', { ttlSeconds: 1.5 }), 'ttlSeconds'],
    ['payload over 1 MB', (c: SignalRRestClient) => c.broadcast('chat', { target: 't', arguments: ['x'.repeat(1024 * 1024)] }), 'payload'],
    ['empty excluded id', (c: SignalRRestClient) => c.broadcast('chat', payload, { excluded: [''] }), 'excluded'],
  ])('%s', async (_name, call, parameter) => {
    const error = await Promise.resolve()
      .then((): Promise<unknown> => call(client))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceRuleError);
    expect((error as ServiceRuleError).parameter).toBe(parameter);
    expect(server.requests).toHaveLength(0);
  });

  test('valid unusual hub names are accepted and lower-cased', async () => {
    server.respondWith({ status: 202 });
    await client.broadcast('My_Hub.v2', payload);
    expect(server.requests[0]!.rawPath).toBe('/api/hubs/my_hub.v2/:send');
  });

  test('a group of exactly 1024 characters is accepted', async () => {
    await client.addUserToGroup('chat', 'u', 'g'.repeat(1024));
    expect(server.requests[0]!.rawPath).toBe(`/api/hubs/chat/users/u/groups/${'g'.repeat(1024)}`);
  });
});

test('application option adds ?application= (the service prefixes the hub)', async () => {
  const appClient = new SignalRRestClient({ endpoint: server.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), application: 'MyApp' });
  try {
    await appClient.broadcast('chat', payload);
    expect(server.requests[0]!.query.application).toEqual(['myapp']);
  } finally {
    appClient.close();
  }
});

test('a payload just under 1 MB is sent', async () => {
  const text = 'x'.repeat(1024 * 1024 - 64);
  await client.broadcast('chat', { target: 't', arguments: [text] });
  expect(JSON.parse(server.requests[0]!.body)).toEqual({ target: 't', arguments: [text] });
});

test('keep-alive: sequential calls reuse one connection', async () => {
  for (let i = 0; i < 5; i++) await client.sendToUser('chat', 'u', payload);
  expect(server.requests).toHaveLength(5);
  const ports = new Set(server.requests.map((r) => r.remotePort));
  expect(ports.size).toBe(1);
});

test('an endpoint with a path prefix keeps it in URL and aud', async () => {
  const prefixed = new SignalRRestClient({ endpoint: `${server.url}/prefix/`, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)) });
  try {
    await prefixed.sendToUser('chat', 'u', payload);
    const request = server.requests[0]!;
    expect(request.rawPath).toBe('/prefix/api/hubs/chat/users/u/:send');
    const claims = jwt.verify(String(request.headers.authorization).slice(7), KEY) as jwt.JwtPayload;
    expect(claims.aud).toBe(`${server.url}/prefix/api/hubs/chat/users/u/:send`);
  } finally {
    prefixed.close();
  }
});
