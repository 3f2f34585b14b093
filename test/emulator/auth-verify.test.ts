import jwt from 'jsonwebtoken';
import { MAX_ACCESS_TOKEN_LENGTH } from '../../src/contract';
import {
  acceptedClientAudiences,
  acceptedRestAudiences,
  bearerToken,
  canonicalAudience,
  verifyServiceToken,
} from '../../src/emulator/auth';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const HOST = 'localhost:8888';
const REQUEST = '/api/hubs/chat/users/u1/:send?api-version=2022-06-01';
const REST_AUD = acceptedRestAudiences(REQUEST, HOST);

function sign(payload: Record<string, unknown>, options: jwt.SignOptions = {}, key: string = KEY): string {
  return jwt.sign(payload, key, { algorithm: 'HS256', ...options });
}

function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('verifyServiceToken', () => {
  test('accepts a token signed by the official SDK form (no port, api-version in aud)', () => {
    const token = sign({ aud: 'http://localhost/api/hubs/chat/users/u1/:send?api-version=2022-06-01' }, { expiresIn: 60 });
    const result = verifyServiceToken(token, KEY, REST_AUD);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.claims.aud).toBe('http://localhost/api/hubs/chat/users/u1/:send?api-version=2022-06-01');
  });

  test.each([
    ['docs form, no query', 'http://localhost:8888/api/hubs/chat/users/u1/:send'],
    ['with port and query', 'http://localhost:8888/api/hubs/chat/users/u1/:send?api-version=2022-06-01'],
    ['https scheme', 'https://localhost/api/hubs/chat/users/u1/:send'],
    ['127.0.0.1 for localhost', 'http://127.0.0.1:8888/api/hubs/chat/users/u1/:send'],
    ['trailing slash', 'http://localhost/api/hubs/chat/users/u1/:send/'],
    ['upper-case host', 'HTTP://LOCALHOST/api/hubs/chat/users/u1/:send'],
    ['aud array', ['http://other/x', 'http://localhost/api/hubs/chat/users/u1/:send']],
  ])('accepts audience: %s', (_name, aud) => {
    expect(verifyServiceToken(sign({ aud }, { expiresIn: 60 }), KEY, REST_AUD).ok).toBe(true);
  });

  test.each([
    ['another hub', 'http://localhost/api/hubs/other/users/u1/:send'],
    ['another user', 'http://localhost/api/hubs/chat/users/u2/:send'],
    ['another port', 'http://localhost:9999/api/hubs/chat/users/u1/:send'],
    ['another host', 'http://example.com/api/hubs/chat/users/u1/:send'],
    ['another api-version', 'http://localhost/api/hubs/chat/users/u1/:send?api-version=1999-01-01'],
    ['not a URL', 'chat'],
  ])('refuses audience: %s', (_name, aud) => {
    const result = verifyServiceToken(sign({ aud }, { expiresIn: 60 }), KEY, REST_AUD);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/audience/);
  });

  test('refuses a token without aud', () => {
    const result = verifyServiceToken(sign({}, { expiresIn: 60 }), KEY, REST_AUD);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/no "aud"/) });
  });

  test('refuses a token signed with another key, without echoing token or key', () => {
    const token = sign({ aud: REST_AUD[0] }, { expiresIn: 60 }, 'another-key-entirely-0123456789');
    const result = verifyServiceToken(token, KEY, REST_AUD);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/signature/);
      expect(result.reason).not.toContain(token);
      expect(result.reason).not.toContain(token.split('.')[2]);
      expect(result.reason).not.toContain(KEY);
    }
  });

  test('refuses an expired token, and one expired beyond the tolerance only', () => {
    const expired = sign({ aud: REST_AUD[0], exp: now() - 60 });
    expect(verifyServiceToken(expired, KEY, REST_AUD)).toEqual({ ok: false, reason: 'access token has expired' });
    const justExpired = sign({ aud: REST_AUD[0], exp: now() - 2 });
    expect(verifyServiceToken(justExpired, KEY, REST_AUD).ok).toBe(true);
    expect(verifyServiceToken(justExpired, KEY, REST_AUD, { clockToleranceSeconds: 0 }).ok).toBe(false);
  });

  test('refuses a token without exp', () => {
    const result = verifyServiceToken(sign({ aud: REST_AUD[0] }), KEY, REST_AUD);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/"exp"/) });
  });

  test('refuses a token that is not valid yet', () => {
    const token = sign({ aud: REST_AUD[0], nbf: now() + 120, exp: now() + 600 });
    expect(verifyServiceToken(token, KEY, REST_AUD)).toEqual({ ok: false, reason: expect.stringMatching(/not valid yet/) });
    expect(verifyServiceToken(token, KEY, REST_AUD, { nowSeconds: now() + 200 }).ok).toBe(true);
  });

  test('refuses alg none even with an empty signature', () => {
    const token = unsignedToken({ alg: 'none', typ: 'JWT' }, { aud: REST_AUD[0], exp: now() + 60 });
    expect(verifyServiceToken(token, KEY, REST_AUD)).toEqual({
      ok: false,
      reason: 'access token algorithm is "none"; only HS256 is accepted',
    });
  });

  test('refuses HS512 signed with the right key', () => {
    const token = sign({ aud: REST_AUD[0] }, { algorithm: 'HS512', expiresIn: 60 });
    const result = verifyServiceToken(token, KEY, REST_AUD);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/"HS512"; only HS256/) });
  });

  test('refuses an RS256 header', () => {
    const token = unsignedToken({ alg: 'RS256', typ: 'JWT' }, { aud: REST_AUD[0], exp: now() + 60 }, 'c2ln');
    expect(verifyServiceToken(token, KEY, REST_AUD)).toEqual({ ok: false, reason: expect.stringMatching(/"RS256"/) });
  });

  test('refuses a token over 4096 characters before verifying it', () => {
    const token = sign({ aud: REST_AUD[0], pad: 'x'.repeat(MAX_ACCESS_TOKEN_LENGTH) }, { expiresIn: 60 });
    expect(token.length).toBeGreaterThan(MAX_ACCESS_TOKEN_LENGTH);
    const result = verifyServiceToken(token, KEY, REST_AUD);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/limit is 4096/) });
  });

  test.each(['', 'abc', 'a.b', 'a.b.c.d', '!!.??.x'])('refuses malformed token %p', (token) => {
    expect(verifyServiceToken(token, KEY, REST_AUD).ok).toBe(false);
  });

  test('a tampered payload fails the signature check', () => {
    const token = sign({ aud: REST_AUD[0], role: 'user' }, { expiresIn: 60 });
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ aud: REST_AUD[0], role: 'admin', exp: now() + 60 })).toString('base64url')}.${s}`;
    expect(verifyServiceToken(forged, KEY, REST_AUD).ok).toBe(false);
  });
});

describe('audience builders', () => {
  test('REST audiences include SDK (no port, application + api-version) and docs (port, no query) forms', () => {
    const list = acceptedRestAudiences('/api/hubs/chat/:send?application=app&excluded=c1&api-version=2022-06-01', '127.0.0.1:4321');
    expect(list).toContain('http://localhost/api/hubs/chat/:send?application=app&api-version=2022-06-01');
    expect(list).toContain('http://127.0.0.1:4321/api/hubs/chat/:send');
    expect(list).toContain('https://127.0.0.1/api/hubs/chat/:send?api-version=2022-06-01');
    expect(list).toContain('http://127.0.0.1:4321/api/hubs/chat/:send?application=app&excluded=c1&api-version=2022-06-01');
    expect(list).not.toContain('http://localhost/api/hubs/chat/:send?excluded=c1');
  });

  test('a non-loopback host is not widened to loopback names', () => {
    const list = acceptedRestAudiences('/api/health', 'emulator.example:8888');
    expect(list).toContain('http://emulator.example/api/health');
    expect(list.some((a) => a.includes('localhost'))).toBe(false);
  });

  test('path encoding differences do not matter (%2F stays a part of the segment)', () => {
    const list = acceptedRestAudiences('/api/hubs/chat/groups/a%2Fb/:send', 'localhost:1');
    const token = sign({ aud: 'http://localhost/api/hubs/chat/groups/a%2fb/:send' }, { expiresIn: 60 });
    expect(verifyServiceToken(token, KEY, list).ok).toBe(true);
    const other = sign({ aud: 'http://localhost/api/hubs/chat/groups/a/b/:send' }, { expiresIn: 60 });
    expect(verifyServiceToken(other, KEY, list).ok).toBe(false);
  });

  test('client audiences accept the SDK form and refuse another hub', () => {
    const list = acceptedClientAudiences('localhost:8888', 'Chat');
    const good = sign({ aud: 'http://localhost/client/?hub=chat' }, { expiresIn: 60 });
    const withPort = sign({ aud: 'http://localhost:8888/client/?hub=Chat' }, { expiresIn: 60 });
    const other = sign({ aud: 'http://localhost/client/?hub=news' }, { expiresIn: 60 });
    expect(verifyServiceToken(good, KEY, list).ok).toBe(true);
    expect(verifyServiceToken(withPort, KEY, list).ok).toBe(true);
    expect(verifyServiceToken(other, KEY, list).ok).toBe(false);
  });

  test('canonicalAudience normalises scheme, host, encoding and trailing slash', () => {
    expect(canonicalAudience('HTTPS://Host:80/a%2fb/c/?x=a%20b')).toBe('https://host:80/a%2Fb/c?x=a%20b');
    expect(canonicalAudience('not a url')).toBeUndefined();
  });

  test('bearerToken reads only the Bearer scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  x ')).toBe('x');
    expect(bearerToken('Basic xyz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
