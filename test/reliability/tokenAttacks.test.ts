/**
 * Token and identity attacks, every one of which must be refused:
 * - at the emulator's client endpoint (negotiate and the WebSocket / SSE / long-polling transports) and
 *   at its REST API: `alg: none`, other algorithms, HS256 with another key, expired and not-yet-valid
 *   tokens, a hub-A token on hub B, a client token on the REST API (and a REST token as a client token),
 *   tokens over 4 KB, tampered payloads, garbage bearer values;
 * - at the functions: a caller authenticated as one user trying to act as another (negotiate, send in
 *   another's name, add / remove another user to / from a group).
 * The forged tokens are built by hand (test/support/jwtForge.ts), not by the code under attack.
 */
import { silenceRegistrationWarnings, callFunction, appErrorOf, type FunctionResult } from './support';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { resetSignalRServiceCache } from '../../src/client/service';
import { clientAudience, clientClaims, nowSeconds, restClaims, signHs256, unsignedToken, type JwtClaims } from '../support/jwtForge';
import { httpRequest, negotiateWithService, rawUpgrade, transportUrl } from '../support/loadClients';
import { FigureRecorder } from '../support/reliabilityFigures';
import { createHmac } from 'node:crypto';

silenceRegistrationWarnings();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { negotiate } = require('../../functions/negotiate') as typeof import('../../functions/negotiate');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sendMessageOptions } = require('../../functions/sendMessage') as typeof import('../../functions/sendMessage');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { addToGroupOptions } = require('../../functions/addToGroup') as typeof import('../../functions/addToGroup');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { removeFromGroupOptions } = require('../../functions/removeFromGroup') as typeof import('../../functions/removeFromGroup');

const ACCESS_KEY = 'AttackTestKey0123456789ABCDEFGHIJKLMNOPQRSTU';
const OTHER_KEY = 'SomeoneElsesKey0123456789ABCDEFGHIJKLMNOPQRS';
const figures = new FigureRecorder('attacks');

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, accessKey: ACCESS_KEY });
});
afterAll(async () => {
  await emulator.close();
  figures.save();
});

function refused(status: number, expected: readonly number[] = [401, 403]): boolean {
  figures.add('attacksTried');
  const ok = expected.includes(status);
  if (ok) figures.add('attacksRefused');
  return ok;
}

/** Signs with a non-HS256 HMAC algorithm but the right key: algorithm confusion. */
function signWithAlg(claims: JwtClaims, alg: 'HS384' | 'HS512', key: string): string {
  const head = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const hash = alg === 'HS384' ? 'sha384' : 'sha512';
  return `${head}.${body}.${createHmac(hash, Buffer.from(key, 'utf8')).update(`${head}.${body}`).digest('base64url')}`;
}

/** Replaces the payload of a valid token, keeping its signature. */
function tamper(token: string, claims: JwtClaims): string {
  const [head, , sig] = token.split('.');
  return `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
}

describe('client endpoint refuses forged client tokens', () => {
  const hub = 'secure';
  const base = (): string => emulator.url;
  const valid = (extra: JwtClaims = {}): JwtClaims => clientClaims(base(), hub, 'alice', extra);
  const now = nowSeconds();

  const attacks: Array<[string, () => string]> = [
    ['alg none', () => unsignedToken(valid())],
    ['alg NONE (case variant)', () => unsignedToken(valid(), 'NONE')],
    ['alg none with the valid signature kept', () => `${unsignedToken(valid()).slice(0, -1)}.${signHs256(valid(), ACCESS_KEY).split('.')[2]}`],
    ['HS256 with another key', () => signHs256(valid(), OTHER_KEY)],
    ['HS512 with the right key (algorithm confusion)', () => signWithAlg(valid(), 'HS512', ACCESS_KEY)],
    ['HS384 with the right key', () => signWithAlg(valid(), 'HS384', ACCESS_KEY)],
    ['RS256 header over an HMAC signature', () => signHs256(valid(), ACCESS_KEY, { alg: 'RS256' })],
    ['expired an hour ago', () => signHs256(valid({ exp: now - 3600, nbf: now - 7200, iat: now - 7200 }), ACCESS_KEY)],
    ['not valid for another hour (nbf)', () => signHs256(valid({ nbf: now + 3600 }), ACCESS_KEY)],
    ['no exp at all', () => signHs256({ aud: clientAudience(base(), hub), 'asrs.s.uid': 'alice' }, ACCESS_KEY)],
    ['token for hub "other" used on hub "secure"', () => signHs256(clientClaims(base(), 'other', 'alice'), ACCESS_KEY)],
    ['token for another host', () => signHs256(clientClaims('http://evil.example:1234', hub, 'alice'), ACCESS_KEY)],
    ['a REST API token used as a client token', () => signHs256(restClaims(`${base()}/api/hubs/${hub}/:send`), ACCESS_KEY)],
    ['a token over 4 KB', () => signHs256(valid({ padding: 'p'.repeat(4200) }), ACCESS_KEY)],
    ['payload tampered to another user', () => tamper(signHs256(valid(), ACCESS_KEY), { ...valid(), 'asrs.s.uid': 'mallory' })],
    ['garbage', () => 'not-a-jwt'],
    ['three empty parts', () => '..'],
    // Over the 16 KB header limit: refused by the HTTP layer itself (431 / 400) before any token check.
    ['huge garbage (20 KB)', () => 'A'.repeat(20_000)],
  ];
  /** Any 4xx counts as refused for the oversized one; the others must be an auth refusal. */
  const expectedFor = (name: string): number[] => (name.startsWith('huge') ? [400, 401, 403, 414, 431] : [401, 403]);

  it.each(attacks)('negotiate refuses: %s', async (name, make) => {
    const token = make();
    const res = await httpRequest(`${base()}/client/negotiate?hub=${hub}&negotiateVersion=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-length': '0' },
    });
    expect(refused(res.status, expectedFor(name))).toBe(true);
    expect(res.body).not.toContain(ACCESS_KEY);
    expect(res.body).not.toContain(token.slice(0, 40));
  });

  it('negotiate refuses a missing token and a non-Bearer scheme', async () => {
    const none = await httpRequest(`${base()}/client/negotiate?hub=${hub}&negotiateVersion=1`, { method: 'POST', headers: { 'content-length': '0' } });
    expect(refused(none.status)).toBe(true);
    const basic = await httpRequest(`${base()}/client/negotiate?hub=${hub}&negotiateVersion=1`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`a:${ACCESS_KEY}`).toString('base64')}`, 'content-length': '0' },
    });
    expect(refused(basic.status)).toBe(true);
  });

  it.each(attacks)('the WebSocket upgrade refuses: %s (valid connection token, forged access token)', async (name, make) => {
    const good = signHs256(valid(), ACCESS_KEY);
    const { connectionToken } = await negotiateWithService(`${base()}/client/?hub=${hub}`, good);
    const wsUrl = transportUrl(`${base()}/client/?hub=${hub}`, connectionToken, make());
    const error = await rawUpgrade(wsUrl).then(
      ({ socket }) => {
        socket.destroy();
        return undefined;
      },
      (e: Error) => e,
    );
    const status = Number(/HTTP\/1\.1 (\d{3})/.exec(error?.message ?? '')?.[1] ?? 0);
    expect(refused(status, expectedFor(name))).toBe(true);
  });

  it('SSE and long polling refuse a forged token on a valid connection token', async () => {
    const good = signHs256(valid(), ACCESS_KEY);
    const forged = signHs256(valid(), OTHER_KEY);
    for (const accept of ['text/event-stream', '*/*']) {
      const { connectionToken } = await negotiateWithService(`${base()}/client/?hub=${hub}`, good);
      const res = await httpRequest(transportUrl(`${base()}/client/?hub=${hub}`, connectionToken, forged, 'http'), { headers: { accept }, timeoutMs: 5_000 });
      expect(refused(res.status)).toBe(true);
    }
  });

  it("a valid token of user mallory cannot take over alice's connection token", async () => {
    const alice = signHs256(valid(), ACCESS_KEY);
    const mallory = signHs256(clientClaims(base(), hub, 'mallory'), ACCESS_KEY);
    const { connectionToken } = await negotiateWithService(`${base()}/client/?hub=${hub}`, alice);
    const error = await rawUpgrade(transportUrl(`${base()}/client/?hub=${hub}`, connectionToken, mallory)).then(
      ({ socket }) => {
        socket.destroy();
        return undefined;
      },
      (e: Error) => e,
    );
    figures.add('attacksTried');
    expect(error?.message).toMatch(/upgrade refused: HTTP\/1\.1 40[1-4]/);
    figures.add('attacksRefused');
  });
});

describe('REST API refuses forged service tokens', () => {
  const path = '/api/hubs/secure/:send?api-version=2022-06-01';
  const url = (): string => `${emulator.url}${path}`;
  const valid = (extra: JwtClaims = {}): JwtClaims => restClaims(url(), extra);
  const now = nowSeconds();

  const attacks: Array<[string, () => string]> = [
    ['alg none', () => unsignedToken(valid())],
    ['HS256 with another key', () => signHs256(valid(), OTHER_KEY)],
    ['HS512 with the right key', () => signWithAlg(valid(), 'HS512', ACCESS_KEY)],
    ['expired', () => signHs256(valid({ exp: now - 60, nbf: now - 3600, iat: now - 3600 }), ACCESS_KEY)],
    ['not yet valid', () => signHs256(valid({ nbf: now + 3600 }), ACCESS_KEY)],
    ['a client token (aud = the client URL)', () => signHs256(clientClaims(emulator.url, 'secure', 'alice'), ACCESS_KEY)],
    ['a token for another hub', () => signHs256(restClaims(`${emulator.url}/api/hubs/other/:send`), ACCESS_KEY)],
    ['a token over 4 KB', () => signHs256(valid({ padding: 'p'.repeat(4200) }), ACCESS_KEY)],
    ['tampered audience', () => tamper(signHs256(restClaims(`${emulator.url}/api/hubs/other/:send`), ACCESS_KEY), valid())],
    ['garbage', () => 'garbage.garbage.garbage'],
  ];

  it.each(attacks)('POST :send refuses: %s', async (_name, make) => {
    const res = await httpRequest(url(), {
      method: 'POST',
      headers: { authorization: `Bearer ${make()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 't', arguments: [] }),
    });
    expect(refused(res.status)).toBe(true);
    expect(res.body).not.toContain(ACCESS_KEY);
  });

  it('refuses a request without Authorization', async () => {
    const res = await httpRequest(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"target":"t","arguments":[]}' });
    expect(refused(res.status)).toBe(true);
  });

  it('accepts the genuine token (the attacks above fail for the right reason)', async () => {
    const res = await httpRequest(url(), {
      method: 'POST',
      headers: { authorization: `Bearer ${signHs256(valid(), ACCESS_KEY)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 't', arguments: [] }),
    });
    expect(res.status).toBe(202);
  });
});

describe('functions refuse acting as another user', () => {
  const SETTINGS = ['AzureSignalRConnectionString', 'SignalRHubName', 'SignalRAllowClientUserId'];
  let saved: Record<string, string | undefined>;

  beforeAll(() => {
    saved = Object.fromEntries(SETTINGS.map((k) => [k, process.env[k]]));
    for (const k of SETTINGS) delete process.env[k];
    process.env.AzureSignalRConnectionString = emulator.connectionString;
    resetSignalRServiceCache();
  });
  afterAll(() => {
    resetSignalRServiceCache();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const asAlice = { 'x-ms-client-principal-id': 'alice', 'content-type': 'application/json' };
  type Handler = Parameters<typeof callFunction>[0];
  const call = (handler: unknown, name: string, body: unknown, headers: Record<string, string> = asAlice, query: Record<string, string> = {}): Promise<FunctionResult> =>
    callFunction(handler as Handler, { path: name, body: body === undefined ? undefined : JSON.stringify(body), headers, query }, name);

  const cases: Array<[string, () => Promise<FunctionResult>]> = [
    ['negotiate as alice asking for bob (query userId)', () => call(negotiate, 'negotiate', undefined, asAlice, { userId: 'bob' })],
    ['negotiate as alice asking for bob (x-user-id header)', () => call(negotiate, 'negotiate', undefined, { ...asAlice, 'x-user-id': 'bob' })],
    ['negotiate stating a user id without sign-in when client ids are not allowed', () => call(negotiate, 'negotiate', undefined, { 'x-user-id': 'bob' })],
    ['sendMessage as alice with sender bob', () => call(sendMessageOptions.handler, 'sendMessage', { target: 't', arguments: [{ sender: 'bob', text: 'hi' }] })],
    ['sendMessage as alice with sender bob in a batch', () => call(sendMessageOptions.handler, 'sendMessage', [{ target: 't', arguments: [{ text: 'ok' }] }, { target: 't', arguments: [{ sender: 'bob' }] }])],
    ['sendMessage anonymous with a sender', () => call(sendMessageOptions.handler, 'sendMessage', { target: 't', arguments: [{ sender: 'alice' }] }, { 'content-type': 'application/json' })],
    ['addToGroup as alice adding bob', () => call(addToGroupOptions.handler, 'addToGroup', { groupName: 'admins', userId: 'bob' })],
    ['removeFromGroup as alice removing bob', () => call(removeFromGroupOptions.handler, 'removeFromGroup', { groupName: 'admins', userId: 'bob' })],
    ['addToGroup as alice adding bob (PascalCase key)', () => call(addToGroupOptions.handler, 'addToGroup', { GroupName: 'admins', UserId: 'bob' })],
    ['addToGroup anonymous naming a user when client ids are not allowed', () => call(addToGroupOptions.handler, 'addToGroup', { groupName: 'admins', userId: 'bob' }, { 'content-type': 'application/json' })],
  ];

  it.each(cases)('%s: 403 with a reason', async (_name, run) => {
    const result = await run();
    expect(refused(result.status, [403])).toBe(true);
    expect(appErrorOf(result)?.message).toBeTruthy();
    expect(emulator.core.userInGroup('chat', 'bob', 'admins')).toBe(false);
  });

  it('a token negotiated for alice names alice, whatever else the request says', async () => {
    const result = await call(negotiate, 'negotiate', undefined, asAlice, { userId: 'alice' });
    expect(result.status).toBe(200);
    const { accessToken } = result.jsonBody as { accessToken: string };
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims['asrs.s.uid']).toBe('alice');
  });
});
