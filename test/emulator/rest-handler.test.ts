/**
 * The REST handler mounted on a real node:http server over a recording ServiceCore: checks routing (both
 * versions, both path orders, `:send` and bare forms), status codes, validation, auth and error shapes,
 * and exactly which core call each request makes. End-to-end behaviour with real connections is in
 * conformance.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestHandler } from '../../src/emulator/rest';
import type { HubMessage, ServiceCore } from '../../src/emulator/serviceCore';
import { ACCESS_KEY, call, sdkAudience, serviceToken } from './rest-support';

interface RecordedCall {
  method: keyof ServiceCore;
  args: unknown[];
}

/** Records every call; existence answers come from `existing` (keys like "conn:hub:id"). */
class RecordingCore implements ServiceCore {
  calls: RecordedCall[] = [];
  existing = new Set<string>();
  throwOnNext: Error | undefined;

  private record(method: keyof ServiceCore, args: unknown[]): void {
    if (this.throwOnNext) {
      const e = this.throwOnNext;
      this.throwOnNext = undefined;
      throw e;
    }
    this.calls.push({ method, args });
  }
  private has(key: string): boolean {
    return this.existing.has(key);
  }

  broadcast(hub: string, message: HubMessage, excluded?: readonly string[]) { this.record('broadcast', [hub, message, excluded]); }
  sendToUser(hub: string, userId: string, message: HubMessage) { this.record('sendToUser', [hub, userId, message]); }
  sendToGroup(hub: string, group: string, message: HubMessage, excluded?: readonly string[]) { this.record('sendToGroup', [hub, group, message, excluded]); }
  sendToConnection(hub: string, connectionId: string, message: HubMessage) { this.record('sendToConnection', [hub, connectionId, message]); return this.has(`conn:${hub}:${connectionId}`); }
  connectionExists(hub: string, connectionId: string) { this.record('connectionExists', [hub, connectionId]); return this.has(`conn:${hub}:${connectionId}`); }
  userExists(hub: string, userId: string) { this.record('userExists', [hub, userId]); return this.has(`user:${hub}:${userId}`); }
  groupExists(hub: string, group: string) { this.record('groupExists', [hub, group]); return this.has(`group:${hub}:${group}`); }
  userInGroup(hub: string, userId: string, group: string) { this.record('userInGroup', [hub, userId, group]); return this.has(`usergroup:${hub}:${userId}:${group}`); }
  closeConnection(hub: string, connectionId: string, reason?: string) { this.record('closeConnection', [hub, connectionId, reason]); return this.has(`conn:${hub}:${connectionId}`); }
  closeAll(hub: string, excluded?: readonly string[], reason?: string) { this.record('closeAll', [hub, excluded, reason]); }
  closeGroup(hub: string, group: string, excluded?: readonly string[], reason?: string) { this.record('closeGroup', [hub, group, excluded, reason]); }
  closeUser(hub: string, userId: string, excluded?: readonly string[], reason?: string) { this.record('closeUser', [hub, userId, excluded, reason]); }
  addConnectionToGroup(hub: string, group: string, connectionId: string) { this.record('addConnectionToGroup', [hub, group, connectionId]); return this.has(`conn:${hub}:${connectionId}`); }
  removeConnectionFromGroup(hub: string, group: string, connectionId: string) { this.record('removeConnectionFromGroup', [hub, group, connectionId]); return this.has(`conngroup:${hub}:${group}:${connectionId}`); }
  removeConnectionFromAllGroups(hub: string, connectionId: string) { this.record('removeConnectionFromAllGroups', [hub, connectionId]); return this.has(`conn:${hub}:${connectionId}`); }
  addUserToGroup(hub: string, userId: string, group: string, ttlSeconds?: number) { this.record('addUserToGroup', [hub, userId, group, ttlSeconds]); }
  removeUserFromGroup(hub: string, userId: string, group: string) { this.record('removeUserFromGroup', [hub, userId, group]); }
  removeUserFromAllGroups(hub: string, userId: string) { this.record('removeUserFromAllGroups', [hub, userId]); }
}

const MSG = { target: 'newMessage', arguments: ['hello', 42] };
const V2 = '?api-version=2022-06-01';

let server: http.Server;
let base: string;
let core: RecordingCore;
let logs: string[];

beforeAll(async () => {
  core = new RecordingCore();
  logs = [];
  const handler = createRestHandler({ core, accessKey: ACCESS_KEY, log: (m) => logs.push(m) });
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  core.calls = [];
  core.existing.clear();
  logs.length = 0;
});

function lastCall(): RecordedCall | undefined {
  return core.calls[core.calls.length - 1];
}

describe('routing: every path form reaches the right core call with the right status', () => {
  // [method, path (after /api or /api/v1), body?, expected core call, 2022 status, v1 status]
  const cases: Array<[string, string, boolean, RecordedCall, number, number]> = [
    ['POST', '/hubs/Chat/:send', true, { method: 'broadcast', args: ['chat', MSG, []] }, 202, 202],
    ['POST', '/hubs/Chat', true, { method: 'broadcast', args: ['chat', MSG, []] }, 202, 202],
    ['POST', '/hubs/chat/users/u1/:send', true, { method: 'sendToUser', args: ['chat', 'u1', MSG] }, 202, 202],
    ['POST', '/hubs/chat/users/u1', true, { method: 'sendToUser', args: ['chat', 'u1', MSG] }, 202, 202],
    ['POST', '/hubs/chat/connections/c1/:send', true, { method: 'sendToConnection', args: ['chat', 'c1', MSG] }, 202, 202],
    ['POST', '/hubs/chat/connections/c1', true, { method: 'sendToConnection', args: ['chat', 'c1', MSG] }, 202, 202],
    ['POST', '/hubs/chat/groups/g1/:send', true, { method: 'sendToGroup', args: ['chat', 'g1', MSG, []] }, 202, 202],
    ['POST', '/hubs/chat/groups/g1', true, { method: 'sendToGroup', args: ['chat', 'g1', MSG, []] }, 202, 202],
    ['POST', '/hubs/chat/:closeConnections', false, { method: 'closeAll', args: ['chat', [], undefined] }, 204, 204],
    ['POST', '/hubs/chat/groups/g1/:closeConnections', false, { method: 'closeGroup', args: ['chat', 'g1', [], undefined] }, 204, 204],
    ['POST', '/hubs/chat/users/u1/:closeConnections', false, { method: 'closeUser', args: ['chat', 'u1', [], undefined] }, 204, 204],
    ['DELETE', '/hubs/chat/connections/c1', false, { method: 'closeConnection', args: ['chat', 'c1', undefined] }, 200, 202],
    ['DELETE', '/hubs/chat/connections/c1/groups', false, { method: 'removeConnectionFromAllGroups', args: ['chat', 'c1'] }, 200, 200],
    ['PUT', '/hubs/chat/users/u1/groups/g1', false, { method: 'addUserToGroup', args: ['chat', 'u1', 'g1', undefined] }, 200, 202],
    ['PUT', '/hubs/chat/groups/g1/users/u1', false, { method: 'addUserToGroup', args: ['chat', 'u1', 'g1', undefined] }, 200, 202],
    ['DELETE', '/hubs/chat/users/u1/groups/g1', false, { method: 'removeUserFromGroup', args: ['chat', 'u1', 'g1'] }, 204, 202],
    ['DELETE', '/hubs/chat/groups/g1/users/u1', false, { method: 'removeUserFromGroup', args: ['chat', 'u1', 'g1'] }, 204, 202],
    ['DELETE', '/hubs/chat/users/u1/groups', false, { method: 'removeUserFromAllGroups', args: ['chat', 'u1'] }, 204, 200],
  ];

  test.each(cases)('%s /api%s', async (method, path, withBody, expected, status2022) => {
    const r = await call(base, method, `/api${path}${V2}`, withBody ? { body: MSG } : {});
    expect(r.status).toBe(status2022);
    expect(r.text).toBe('');
    expect(core.calls).toEqual([expected]);
  });

  test.each(cases)('%s /api/v1%s', async (method, path, withBody, expected, _s, statusV1) => {
    const r = await call(base, method, `/api/v1${path}`, withBody ? { body: MSG } : {});
    expect(r.status).toBe(statusV1);
    expect(core.calls).toEqual([expected]);
  });

  // Existence checks and membership: success when the core says yes, 404 + x-ms-error-code otherwise.
  const lookups: Array<[string, string, string, RecordedCall, string]> = [
    ['HEAD', '/hubs/chat/connections/c1', 'conn:chat:c1', { method: 'connectionExists', args: ['chat', 'c1'] }, 'Warning.Connection.NotExisted'],
    ['GET', '/hubs/chat/connections/c1', 'conn:chat:c1', { method: 'connectionExists', args: ['chat', 'c1'] }, 'Warning.Connection.NotExisted'],
    ['HEAD', '/hubs/chat/users/u1', 'user:chat:u1', { method: 'userExists', args: ['chat', 'u1'] }, 'Warning.User.NotExisted'],
    ['GET', '/hubs/chat/users/u1', 'user:chat:u1', { method: 'userExists', args: ['chat', 'u1'] }, 'Warning.User.NotExisted'],
    ['HEAD', '/hubs/chat/groups/g1', 'group:chat:g1', { method: 'groupExists', args: ['chat', 'g1'] }, 'Warning.Group.NotExisted'],
    ['GET', '/hubs/chat/groups/g1', 'group:chat:g1', { method: 'groupExists', args: ['chat', 'g1'] }, 'Warning.Group.NotExisted'],
    ['HEAD', '/hubs/chat/users/u1/groups/g1', 'usergroup:chat:u1:g1', { method: 'userInGroup', args: ['chat', 'u1', 'g1'] }, 'Info.User.NotInGroup'],
    ['GET', '/hubs/chat/users/u1/groups/g1', 'usergroup:chat:u1:g1', { method: 'userInGroup', args: ['chat', 'u1', 'g1'] }, 'Info.User.NotInGroup'],
    ['GET', '/hubs/chat/groups/g1/users/u1', 'usergroup:chat:u1:g1', { method: 'userInGroup', args: ['chat', 'u1', 'g1'] }, 'Info.User.NotInGroup'],
    ['PUT', '/hubs/chat/groups/g1/connections/c1', 'conn:chat:c1', { method: 'addConnectionToGroup', args: ['chat', 'g1', 'c1'] }, 'Error.Connection.NotExisted'],
    ['PUT', '/hubs/chat/connections/c1/groups/g1', 'conn:chat:c1', { method: 'addConnectionToGroup', args: ['chat', 'g1', 'c1'] }, 'Error.Connection.NotExisted'],
    ['DELETE', '/hubs/chat/groups/g1/connections/c1', 'conngroup:chat:g1:c1', { method: 'removeConnectionFromGroup', args: ['chat', 'g1', 'c1'] }, 'Error.Connection.NotExisted'],
    ['DELETE', '/hubs/chat/connections/c1/groups/g1', 'conngroup:chat:g1:c1', { method: 'removeConnectionFromGroup', args: ['chat', 'g1', 'c1'] }, 'Error.Connection.NotExisted'],
  ];

  test.each(lookups)('%s %s: 200 when present, 404 with its error code when absent', async (method, path, key, expected, code) => {
    for (const prefix of ['/api', '/api/v1']) {
      core.existing.clear();
      const missing = await call(base, method, `${prefix}${path}${V2}`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-ms-error-code')).toBe(code);
      if (method !== 'HEAD') expect(missing.json).toEqual({ code, message: expect.any(String), target: null, details: null, inner: null });
      else expect(missing.text).toBe('');
      core.existing.add(key);
      const present = await call(base, method, `${prefix}${path}${V2}`);
      expect(present.status).toBe(200);
    }
    expect(core.calls).toEqual([expected, expected, expected, expected]);
  });

  test('health answers HEAD and GET without a token, on both versions', async () => {
    for (const path of ['/api/health?api-version=2022-06-01', '/api/v1/health', '/api/health']) {
      expect((await call(base, 'HEAD', path, { auth: false })).status).toBe(200);
      expect((await call(base, 'GET', path, { auth: false })).status).toBe(200);
    }
    expect(core.calls).toEqual([]);
  });

  test('a literal segment wins over a parameter: /users/:send is not a user named ":send"', async () => {
    const r = await call(base, 'POST', `/api/hubs/chat/users/u1/:send${V2}`, { body: MSG });
    expect(r.status).toBe(202);
    expect(lastCall()?.method).toBe('sendToUser');
  });

  test('a trailing slash is ignored', async () => {
    const r = await call(base, 'POST', `/api/hubs/chat/:send/${V2}`, { body: MSG });
    expect(r.status).toBe(202);
    expect(lastCall()?.method).toBe('broadcast');
  });
});

describe('query parameters', () => {
  test('application prefixes and lower-cases the hub key', async () => {
    const r = await call(base, 'POST', `/api/hubs/Chat/:send?application=MyApp&api-version=2022-06-01`, { body: MSG });
    expect(r.status).toBe(202);
    expect(lastCall()).toEqual({ method: 'broadcast', args: ['myapp_chat', MSG, []] });
  });

  test('excluded repeats, reason and ttl reach the core', async () => {
    await call(base, 'POST', `/api/hubs/chat/:send?excluded=a&excluded=b%20c&api-version=2022-06-01`, { body: MSG });
    expect(lastCall()).toEqual({ method: 'broadcast', args: ['chat', MSG, ['a', 'b c']] });
    await call(base, 'POST', `/api/hubs/chat/groups/g/:send?excluded=x`, { body: MSG });
    expect(lastCall()).toEqual({ method: 'sendToGroup', args: ['chat', 'g', MSG, ['x']] });
    await call(base, 'POST', `/api/hubs/chat/:closeConnections?excluded=k&reason=maintenance%20now`);
    expect(lastCall()).toEqual({ method: 'closeAll', args: ['chat', ['k'], 'maintenance now'] });
    await call(base, 'DELETE', `/api/hubs/chat/connections/c9?reason=bye`);
    expect(lastCall()).toEqual({ method: 'closeConnection', args: ['chat', 'c9', 'bye'] });
    await call(base, 'PUT', `/api/hubs/chat/users/u/groups/g?ttl=0`);
    expect(lastCall()).toEqual({ method: 'addUserToGroup', args: ['chat', 'u', 'g', 0] });
    await call(base, 'PUT', `/api/v1/hubs/chat/groups/g/users/u?ttl=3600`);
    expect(lastCall()).toEqual({ method: 'addUserToGroup', args: ['chat', 'u', 'g', 3600] });
  });

  test.each(['-1', '1.5', 'abc', '99999999999'])('ttl=%s is a 400 naming ttl', async (ttl) => {
    const r = await call(base, 'PUT', `/api/hubs/chat/users/u/groups/g?ttl=${ttl}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'Error.Request.Invalid', target: 'ttl' });
    expect(core.calls).toEqual([]);
  });

  test('api-version: absent and dated versions accepted, a malformed one refused', async () => {
    expect((await call(base, 'POST', '/api/hubs/chat/:send', { body: MSG })).status).toBe(202);
    expect((await call(base, 'POST', '/api/hubs/chat/:send?api-version=2024-01-01-preview', { body: MSG })).status).toBe(202);
    const bad = await call(base, 'POST', '/api/hubs/chat/:send?api-version=latest', { body: MSG });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ target: 'api-version' });
  });
});

describe('validation', () => {
  test.each([
    ['hub starting with a digit', `/api/hubs/1chat/:send${V2}`, 'hub'],
    ['hub with a dash', `/api/hubs/my-hub/:send${V2}`, 'hub'],
    ['hub of 129 characters', `/api/hubs/h${'a'.repeat(128)}/:send${V2}`, 'hub'],
    ['empty hub', `/api/hubs//:send${V2}`, 'hub'],
    ['application with a dash', `/api/hubs/chat/:send?application=my-app`, 'application'],
    ['whitespace-only group', `/api/hubs/chat/groups/%20%20/:send${V2}`, 'group'],
    ['group of 1025 characters', `/api/hubs/chat/groups/${'g'.repeat(1025)}/:send${V2}`, 'group'],
    ['empty user', `/api/hubs/chat/users//:send${V2}`, 'user'],
    ['empty connection id', `/api/hubs/chat/connections//:send${V2}`, 'connectionId'],
    ['malformed percent-encoding', `/api/hubs/chat/users/%E0%A4%A/:send${V2}`, 'path'],
  ])('%s -> 400', async (_name, path, target) => {
    const r = await call(base, 'POST', path, { body: MSG });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-ms-error-code')).toBe('Error.Request.Invalid');
    expect(r.json).toMatchObject({ code: 'Error.Request.Invalid', target, message: expect.any(String), details: null, inner: null });
    expect(core.calls).toEqual([]);
  });

  test('valid edge names: 128-char hub with allowed punctuation, 1024-char group', async () => {
    const hub = `H${'a'.repeat(120)}_\`,.[]`.slice(0, 128);
    const r1 = await call(base, 'POST', `/api/hubs/${encodeURIComponent(hub)}/:send${V2}`, { body: MSG });
    expect(r1.status).toBe(202);
    expect(lastCall()?.args[0]).toBe(hub.toLowerCase());
    const group = 'g'.repeat(1024);
    expect((await call(base, 'POST', `/api/hubs/chat/groups/${group}/:send${V2}`, { body: MSG })).status).toBe(202);
  });

  test('%2F inside a segment is part of the name, not a separator', async () => {
    const r = await call(base, 'POST', `/api/hubs/chat/groups/a%2Fb/:send${V2}`, { body: MSG });
    expect(r.status).toBe(202);
    expect(lastCall()).toEqual({ method: 'sendToGroup', args: ['chat', 'a/b', MSG, []] });
    await call(base, 'PUT', `/api/hubs/chat/users/${encodeURIComponent('domain\\user@x/y')}/groups/${encodeURIComponent('g 1')}`);
    expect(lastCall()).toEqual({ method: 'addUserToGroup', args: ['chat', 'domain\\user@x/y', 'g 1', undefined] });
  });

  test('Target/Arguments (the .NET spelling) are accepted; arguments default to []', async () => {
    await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { body: { Target: 'T', Arguments: [1, { a: null }] } });
    expect(lastCall()?.args[1]).toEqual({ target: 'T', arguments: [1, { a: null }] });
    await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { body: { TARGET: 'onlyTarget' } });
    expect(lastCall()?.args[1]).toEqual({ target: 'onlyTarget', arguments: [] });
    await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { body: { target: 'n', arguments: null } });
    expect(lastCall()?.args[1]).toEqual({ target: 'n', arguments: [] });
  });

  test.each([
    ['empty body', '', 'body'],
    ['invalid JSON', '{"target": ', 'body'],
    ['a JSON array', '[1,2]', 'body'],
    ['missing target', '{"arguments": []}', 'target'],
    ['empty target', '{"target": ""}', 'target'],
    ['numeric target', '{"target": 5}', 'target'],
    ['arguments not an array', '{"target": "t", "arguments": {"0": 1}}', 'arguments'],
  ])('%s -> 400', async (_name, rawBody, target) => {
    const r = await call(base, 'POST', `/api/hubs/chat/users/u/:send${V2}`, { rawBody });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'Error.Request.Invalid', target });
    expect(core.calls).toEqual([]);
  });
});

describe('limits, unknown routes and methods', () => {
  test('a 1.1 MB body is refused with 413 and nothing reaches the core', async () => {
    const big = JSON.stringify({ target: 't', arguments: ['x'.repeat(1.1 * 1024 * 1024)] });
    const r = await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { rawBody: big });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'Error.Request.TooLarge' });
    expect(core.calls).toEqual([]);
  });

  test('a chunked body without Content-Length is cut off at the limit too', async () => {
    const { port } = server.address() as AddressInfo;
    const path = `/api/hubs/chat/:send${V2}`;
    const token = serviceToken(sdkAudience(base, path));
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"target":"t","arguments":["');
      const chunk = 'y'.repeat(64 * 1024);
      for (let i = 0; i < 18; i++) req.write(chunk);
      req.end('"]}');
    });
    expect(status).toBe(413);
    expect(core.calls).toEqual([]);
  });

  test('a body just under the limit is accepted', async () => {
    const body = JSON.stringify({ target: 't', arguments: ['z'.repeat(1024 * 1024 - 100)] });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);
    const r = await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { rawBody: body });
    expect(r.status).toBe(202);
  });

  test.each([
    ['GET', '/api/hubs'],
    ['GET', '/api/nothing'],
    ['POST', '/api/hubs/chat/unknown/x'],
    ['GET', '/api/v2/hubs/chat'],
    ['GET', '/api'],
  ])('%s %s -> 404 JSON', async (method, path) => {
    const r = await call(base, method, path);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 'Error.Request.NotFound' });
  });

  test.each([
    ['GET', '/api/hubs/chat/:send', 'POST'],
    ['PATCH', '/api/hubs/chat/users/u1', 'POST, GET, HEAD'],
    ['POST', '/api/hubs/chat/users/u1/groups', 'DELETE'],
    ['POST', '/api/health', 'GET, HEAD'],
  ])('%s %s -> 405 with Allow', async (method, path, allow) => {
    const r = await call(base, method, path);
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe(allow);
    expect(r.json).toMatchObject({ code: 'Error.Request.MethodNotAllowed' });
  });
});

describe('authentication', () => {
  const path = `/api/hubs/chat/:send${V2}`;

  test('no Authorization header -> 401 with a reason', async () => {
    const r = await call(base, 'POST', path, { body: MSG, auth: false });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect(r.json).toMatchObject({ code: 'Error.Request.Unauthorized', message: expect.stringMatching(/Authorization: Bearer/) });
    expect(core.calls).toEqual([]);
  });

  test('an unknown route still needs a token (401, not 404)', async () => {
    expect((await call(base, 'GET', '/api/nothing', { auth: false })).status).toBe(401);
  });

  test.each([
    ['wrong key', () => serviceToken(sdkAudience(base, path), { key: 'not-the-access-key-0123456789' }), /signature/],
    ['expired', () => serviceToken(sdkAudience(base, path), { expiresIn: -60 }), /expired/],
    ['another hub', () => serviceToken(sdkAudience(base, '/api/hubs/other/:send?api-version=2022-06-01')), /audience/],
    ['another operation', () => serviceToken(sdkAudience(base, '/api/hubs/chat/:closeConnections?api-version=2022-06-01')), /audience/],
    ['Basic scheme', () => 'Basic dXNlcjpwYXNz', /Authorization: Bearer/],
  ])('%s -> 401, reason given, token not echoed', async (_name, makeToken, reason) => {
    const token = makeToken();
    const header = token.startsWith('Basic') ? token : `Bearer ${token}`;
    const r = await call(base, 'POST', path, { body: MSG, auth: header });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 'Error.Request.Unauthorized', message: expect.stringMatching(reason) });
    expect(r.text).not.toContain(token.split('.').pop() ?? token);
    expect(core.calls).toEqual([]);
  });

  test('the docs form (full URL with port, no query) is accepted as well', async () => {
    const r = await call(base, 'POST', path, { body: MSG, auth: `Bearer ${serviceToken(`${base}/api/hubs/chat/:send`)}` });
    expect(r.status).toBe(202);
  });

  test('a token for the same path under another application is refused', async () => {
    const appPath = `/api/hubs/chat/:send?application=app1&api-version=2022-06-01`;
    const token = serviceToken(sdkAudience(base, `/api/hubs/chat/:send?application=app2&api-version=2022-06-01`));
    expect((await call(base, 'POST', appPath, { body: MSG, auth: `Bearer ${token}` })).status).toBe(401);
  });
});

describe('robustness', () => {
  test('a core exception becomes a generic 500; the stack is not sent; the server keeps serving', async () => {
    core.throwOnNext = new Error('boom in core');
    const r = await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { body: MSG });
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ code: 'Error.Request.Internal', message: 'The emulator failed to process the request.', target: null, details: null, inner: null });
    expect(r.text).not.toMatch(/boom|at .*\.ts/);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('boom in core');
    expect(logs[0]).not.toMatch(/Bearer|eyJ/);
    expect((await call(base, 'POST', `/api/hubs/chat/:send${V2}`, { body: MSG })).status).toBe(202);
  });
});

describe('robustness under hostile input', () => {
  test('a throwing logger plus a throwing core only costs that one request', async () => {
    const brokenCore = new RecordingCore();
    const handler = createRestHandler({ core: brokenCore, accessKey: ACCESS_KEY, log: () => { throw new Error('logger down'); } });
    const local = http.createServer(handler);
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const localBase = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
    try {
      brokenCore.throwOnNext = new Error('core down');
      await expect(call(localBase, 'POST', `/api/hubs/chat/:send${V2}`, { body: MSG })).rejects.toThrow();
      expect((await call(localBase, 'POST', `/api/hubs/chat/:send${V2}`, { body: MSG })).status).toBe(202);
    } finally {
      local.closeAllConnections();
      await new Promise<void>((resolve) => local.close(() => resolve()));
    }
  });

  test('random methods, paths and queries never produce a 5xx', async () => {
    const fc = await import('fast-check');
    const segment = fc.oneof(
      fc.constantFrom('api', 'v1', 'hubs', 'users', 'groups', 'connections', ':send', ':closeConnections', 'health', 'chat', '', '%2F', '%', '%zz', '..'),
      fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.array(segment, { minLength: 1, maxLength: 7 }),
        fc.constantFrom('', '?api-version=2022-06-01', '?ttl=x', '?application=-', '?excluded=&excluded=a', '?api-version=a&api-version=b'),
        fc.constantFrom(undefined, '{}', '{"target":"t"}', 'null', '[', '{"target":"t","arguments":5}'),
        async (method, segments, query, rawBody) => {
          const pathAndQuery = `/api/${segments.join('/')}${query}`;
          const r = await call(base, method, pathAndQuery, method === 'GET' || method === 'HEAD' || rawBody === undefined ? {} : { rawBody });
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
