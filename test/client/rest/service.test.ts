import { inspect } from 'node:util';
import jwt from 'jsonwebtoken';
import { ConfigError } from '../../../src/client/config/connectionString';
import { ServiceRuleError } from '../../../src/contract';
import { clientUrl, createSignalRService, getSignalRService, resetSignalRServiceCache } from '../../../src/client/service';
import { parseConnectionString } from '../../../src/client/config/connectionString';
import { RecordingServer } from '../../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const SETTING = 'AzureSignalRConnectionString';

afterEach(() => resetSignalRServiceCache());

function decodeVerified(token: string): jwt.JwtPayload {
  return jwt.verify(token, KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
}

describe('getSignalRService', () => {
  const env = { [SETTING]: `Endpoint=https://x.example.com;AccessKey=${KEY};Version=1.0;` };

  test('reads the default setting and caches per (setting, value)', () => {
    const first = getSignalRService(undefined, env);
    expect(first.config.endpoint).toBe('https://x.example.com');
    expect(getSignalRService(SETTING, env)).toBe(first);
    expect(getSignalRService(SETTING, { ...env })).toBe(first);
    const changed = getSignalRService(SETTING, { [SETTING]: `Endpoint=https://y.example.com;AccessKey=${KEY}` });
    expect(changed).not.toBe(first);
    expect(changed.config.endpoint).toBe('https://y.example.com');
    const otherSetting = getSignalRService('Other', { Other: env[SETTING] });
    expect(otherSetting).not.toBe(first);
    expect(otherSetting.config.settingName).toBe('Other');
  });

  test('a missing setting is a ConfigError naming it', () => {
    expect(() => getSignalRService('NoSuchSetting', {})).toThrow(ConfigError);
    expect(() => getSignalRService('NoSuchSetting', {})).toThrow(/'NoSuchSetting'/);
  });

  test('an invalid string is a ConfigError naming setting and key, without the key value', () => {
    let caught: unknown;
    try {
      getSignalRService(SETTING, { [SETTING]: `Endpoint=https://x.example.com;AccessKey=${KEY};Port=0` });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ setting: SETTING, key: 'Port' });
    expect((caught as Error).message).not.toContain(KEY);
  });
});

describe('clientConnectionInfo', () => {
  test('url = {endpoint}/client/?hub={lower-cased hub}; aud = url; 1 hour; user claim', async () => {
    const service = getSignalRService(SETTING, { [SETTING]: `Endpoint=https://x.example.com/;AccessKey=${KEY};Version=1.0;` });
    const before = Math.floor(Date.now() / 1000);
    const info = await service.clientConnectionInfo('ChatHub', { userId: 'alice' });
    expect(info.url).toBe('https://x.example.com/client/?hub=chathub');
    const claims = decodeVerified(info.accessToken);
    expect(claims.aud).toBe(info.url);
    expect(claims['asrs.s.uid']).toBe('alice');
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
  });

  test('Port is part of the url (emulator string)', async () => {
    const service = getSignalRService(SETTING, { [SETTING]: `Endpoint=http://localhost;Port=8888;AccessKey=${KEY};Version=1.0;` });
    const info = await service.clientConnectionInfo('chat');
    expect(info.url).toBe('http://localhost:8888/client/?hub=chat');
    expect(decodeVerified(info.accessToken).aud).toBe(info.url);
    expect(decodeVerified(info.accessToken)['asrs.s.uid']).toBeUndefined();
  });

  test('ClientEndpoint is used for the url and aud', async () => {
    const service = getSignalRService(SETTING, {
      [SETTING]: `Endpoint=https://x.example.com;AccessKey=${KEY};ClientEndpoint=https://public.example.com:8443`,
    });
    const info = await service.clientConnectionInfo('chat');
    expect(info.url).toBe('https://public.example.com:8443/client/?hub=chat');
    expect(decodeVerified(info.accessToken).aud).toBe(info.url);
  });

  test('claims and lifetime pass through', async () => {
    const service = getSignalRService(SETTING, { [SETTING]: `Endpoint=https://x.example.com;AccessKey=${KEY}` });
    const info = await service.clientConnectionInfo('chat', { claims: { role: ['a', 'b'], iss: 'me' }, lifetimeSeconds: 120 });
    const claims = decodeVerified(info.accessToken);
    expect(claims.role).toEqual(['a', 'b']);
    expect(claims['asrs.u.iss']).toBe('me');
    expect(claims.exp! - claims.iat!).toBe(120);
  });

  test('an invalid hub is rejected', async () => {
    const service = getSignalRService(SETTING, { [SETTING]: `Endpoint=https://x.example.com;AccessKey=${KEY}` });
    await expect(service.clientConnectionInfo('no/slash')).rejects.toBeInstanceOf(ServiceRuleError);
  });

  test('clientUrl encodes unusual hub characters', () => {
    expect(clientUrl('https://x', 'A`b,c')).toBe('https://x/client/?hub=a%60b%2Cc');
  });
});

describe('rest through the service', () => {
  test('REST calls go to ServerEndpoint when given, signed with the access key', async () => {
    const server = await RecordingServer.start({ status: 202 });
    try {
      const service = getSignalRService(SETTING, {
        [SETTING]: `Endpoint=https://unused.example.com;AccessKey=${KEY};ServerEndpoint=${server.url}`,
      });
      await service.rest.broadcast('chat', { target: 't', arguments: [] });
      const request = server.requests[0]!;
      expect(request.rawPath).toBe('/api/hubs/chat/:send');
      expect(decodeVerified(String(request.headers.authorization).slice(7)).aud).toBe(`${server.url}/api/hubs/chat/:send`);
    } finally {
      resetSignalRServiceCache();
      await server.close();
    }
  });

  test('createSignalRService passes REST options (timeout)', async () => {
    const server = await RecordingServer.start({ hang: true });
    const config = parseConnectionString(`Endpoint=${server.url};AccessKey=${KEY}`, SETTING);
    const service = createSignalRService(config, { rest: { timeoutMs: 200 } });
    try {
      await expect(service.rest.userExists('chat', 'u')).rejects.toMatchObject({ name: 'SignalRTimeoutError', timeoutMs: 200 });
    } finally {
      service.close();
      await server.close();
    }
  });
});

describe('getSignalRService with several endpoints', () => {
  const named = (host: string): string => `Endpoint=https://${host}.example.com;AccessKey=${KEY};Version=1.0;`;

  test('lists every endpoint, caches per settings, and a changed endpoint setting yields a fresh service', () => {
    const env = { [SETTING]: named('default'), Azure__SignalR__Endpoints__east: named('east'), SignalREndpointHealthIntervalSeconds: '30' };
    const service = getSignalRService(SETTING, env);
    expect(service.endpoints.map((e) => `${e.name}:${e.type}:${e.endpoint}:${e.online}`)).toEqual([
      ':primary:https://default.example.com:true',
      'east:primary:https://east.example.com:true',
    ]);
    expect(service.config).toBe(service.endpoints[0]!.config);
    expect(getSignalRService(SETTING, { ...env })).toBe(service);
    expect(getSignalRService(SETTING, { ...env, Azure__SignalR__Endpoints__east: named('east2') })).not.toBe(service);
    expect(getSignalRService(SETTING, { ...env, SignalREndpointHealthIntervalSeconds: '10' })).not.toBe(service);
    expect(() => getSignalRService(SETTING, { ...env, SignalREndpointHealthIntervalSeconds: 'often' })).toThrow(/'SignalREndpointHealthIntervalSeconds'/);
  });

  test('an endpoint listed as JSON or printed shows who it is, never its key', () => {
    const service = getSignalRService(SETTING, { Azure__SignalR__Endpoints__a: named('a'), Azure__SignalR__Endpoints__b: named('b') });
    const shown = `${JSON.stringify(service.endpoints)} ${inspect(service.endpoints, { depth: 5 })} ${service.endpoints.join(' ')}`;
    expect(shown).toContain('https://a.example.com');
    expect(shown).not.toContain(KEY);
  });

  test('process.env endpoint settings are read once, and again after resetSignalRServiceCache()', () => {
    const keys = ['Azure__SignalR__Endpoints__pa', 'Azure__SignalR__Endpoints__pb'];
    try {
      process.env[keys[0]!] = named('pa');
      expect(getSignalRService('NoDefaultSetting').endpoints.map((e) => e.name)).toEqual(['pa']);
      process.env[keys[1]!] = named('pb');
      expect(getSignalRService('NoDefaultSetting').endpoints.map((e) => e.name)).toEqual(['pa']);
      resetSignalRServiceCache();
      expect(getSignalRService('NoDefaultSetting').endpoints.map((e) => e.name)).toEqual(['pa', 'pb']);
    } finally {
      for (const key of keys) delete process.env[key];
      resetSignalRServiceCache();
    }
  });
});

describe('a setting change retires the service it supersedes', () => {
  const OTHER_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ZYXWVUTS';
  const message = { target: 't', arguments: [] };

  /** Polls until `condition` holds, up to `withinMs`; returns whether it did. */
  async function eventually(condition: () => boolean, withinMs: number): Promise<boolean> {
    const until = Date.now() + withinMs;
    while (!condition()) {
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  test('its kept-alive socket closes once its call in flight is answered, and that call is not cut', async () => {
    const server = await RecordingServer.start({ status: 202 });
    try {
      const before = getSignalRService(SETTING, { [SETTING]: `Endpoint=${server.url};AccessKey=${KEY};Version=1.0;` });
      await before.rest.broadcast('chat', message);
      expect(server.openConnections()).toBe(1);
      server.enqueue({ status: 202, delayMs: 300 });
      const inFlight = before.rest.broadcast('chat', message);
      await server.waitForRequests(2);
      // The key is rotated while that call waits for its answer.
      const after = getSignalRService(SETTING, { [SETTING]: `Endpoint=${server.url};AccessKey=${OTHER_KEY};Version=1.0;` });
      expect(after).not.toBe(before);
      await expect(inFlight).resolves.toBeUndefined();
      // Answered on its own socket, not cut and sent again.
      expect(server.requests).toHaveLength(2);
      // Well before the agent's own 4 s idle timeout could close it.
      expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
      // The new service works, on a socket of its own.
      await after.rest.broadcast('chat', message);
      expect(server.openConnections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  test('the same value again keeps the service and its socket', async () => {
    const server = await RecordingServer.start({ status: 202 });
    try {
      const env = { [SETTING]: `Endpoint=${server.url};AccessKey=${KEY};Version=1.0;` };
      const service = getSignalRService(SETTING, env);
      await service.rest.broadcast('chat', message);
      expect(getSignalRService(SETTING, { ...env })).toBe(service);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.openConnections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  test("with several endpoints, the superseded service's health checks stop", async () => {
    const servers = [await RecordingServer.start({ status: 200 }), await RecordingServer.start({ status: 200 })];
    try {
      const settings = (key: string): Record<string, string> => ({
        'Azure:SignalR:Endpoints:one': `Endpoint=${servers[0]!.url};AccessKey=${key};Version=1.0;`,
        'Azure:SignalR:Endpoints:two': `Endpoint=${servers[1]!.url};AccessKey=${key};Version=1.0;`,
        SignalREndpointHealthIntervalSeconds: '0.1',
      });
      const checks = (): number => servers[0]!.requests.length;
      getSignalRService(SETTING, settings(KEY));
      expect(await eventually(() => checks() >= 3, 5000)).toBe(true);
      getSignalRService(SETTING, settings(OTHER_KEY));
      // From here only the new service checks: with the old one still running there would be two checks per interval.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const since = checks();
      const sinceAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const intervals = (Date.now() - sinceAt) / 100;
      expect(checks() - since).toBeLessThanOrEqual(Math.ceil(intervals) + 1);
      expect(checks() - since).toBeGreaterThan(0);
    } finally {
      for (const server of servers) await server.close();
    }
  });
});
