import jwt from 'jsonwebtoken';
import { TokenError, TokenIssuer } from '../../../src/client/auth/tokens';
import { MAX_ACCESS_TOKEN_LENGTH, toTokenClaims, USER_ID_CLAIM } from '../../../src/contract';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const AUD = 'https://x.example.com/client/?hub=chat';

function verify(token: string, key = KEY): jwt.JwtPayload {
  // The key is the UTF-8 bytes of the AccessKey string; verification with the plain string proves it.
  return jwt.verify(token, key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
}

describe('TokenIssuer.clientToken', () => {
  const issuer = new TokenIssuer(KEY);

  test('HS256 signed with the UTF-8 bytes of the AccessKey; aud, iat, nbf, exp = iat + 3600', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = issuer.clientToken({ audience: AUD });
    const after = Math.floor(Date.now() / 1000);
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const claims = verify(token);
    expect(claims.aud).toBe(AUD);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe(claims.iat! + 3600);
    expect(claims[USER_ID_CLAIM]).toBeUndefined();
  });

  test('a token signed with another key fails verification (the signature is real)', () => {
    const other = new TokenIssuer('another-key').clientToken({ audience: AUD });
    expect(() => verify(other)).toThrow(/invalid signature/);
  });

  test('a non-ASCII key is used as UTF-8 bytes', () => {
    const key = 'clé-secrète-ü';
    const token = new TokenIssuer(key).clientToken({ audience: AUD });
    expect(verify(token, key).aud).toBe(AUD);
    expect(() => jwt.verify(token, Buffer.from(key, 'latin1'))).toThrow();
  });

  test('user id goes into asrs.s.uid', () => {
    expect(verify(issuer.clientToken({ audience: AUD, userId: 'alice' }))[USER_ID_CLAIM]).toBe('alice');
  });

  test('custom lifetime', () => {
    const claims = verify(issuer.clientToken({ audience: AUD, lifetimeSeconds: 60 }));
    expect(claims.exp! - claims.iat!).toBe(60);
  });

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('lifetime %p is rejected', (lifetimeSeconds) => {
    expect(() => issuer.clientToken({ audience: AUD, lifetimeSeconds })).toThrow(TokenError);
    expect(() => issuer.restToken(AUD, lifetimeSeconds)).toThrow(/positive whole number/);
  });

  test('custom claims pass through; several values become an array; reserved names are renamed', () => {
    const claims = verify(
      issuer.clientToken({
        audience: AUD,
        userId: 'alice',
        claims: { role: ['admin', 'reader'], dept: 'ops', single: ['one'], aud: 'evil', exp: '1', nonce: 'n', 'asrs.s.uid': 'mallory' },
      }),
    );
    expect(claims.role).toEqual(['admin', 'reader']);
    expect(claims.dept).toBe('ops');
    expect(claims.single).toBe('one');
    expect(claims.aud).toBe(AUD);
    expect(claims['asrs.u.aud']).toBe('evil');
    expect(claims['asrs.u.exp']).toBe('1');
    expect(claims.exp).toBe(claims.iat! + 3600);
    expect(claims['asrs.u.nonce']).toBe('n');
    expect(claims[USER_ID_CLAIM]).toBe('alice');
    expect(claims['asrs.u.asrs.s.uid']).toBe('mallory');
  });

  test('every reserved name is renamed', () => {
    const reserved = ['aud', 'exp', 'iat', 'nbf', 'iss', 'actort', 'acr', 'azp', 'c_hash', 'jti', 'nonce'];
    const mapped = toTokenClaims(Object.fromEntries(reserved.map((name) => [name, 'v'])));
    expect(Object.keys(mapped).sort()).toEqual(reserved.map((name) => `asrs.u.${name}`).sort());
  });

  test('empty value lists are left out; non-string values are rejected', () => {
    expect(toTokenClaims({ none: [] })).toEqual({});
    expect(() => toTokenClaims({ n: [1 as unknown as string] })).toThrow(/strings/);
  });

  test('a token over 4096 characters is refused with a clear message that contains no token', () => {
    const big = 'x'.repeat(MAX_ACCESS_TOKEN_LENGTH);
    let caught: unknown;
    try {
      issuer.clientToken({ audience: AUD, claims: { big } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TokenError);
    const message = (caught as Error).message;
    expect(message).toMatch(/over the service limit of 4096/);
    expect(message).not.toMatch(/eyJ/);
    expect(message.length).toBeLessThan(300);
  });

  test('a token just under the limit is issued', () => {
    const base = issuer.clientToken({ audience: AUD, claims: { c: '' } }).length;
    // base64url: 3 bytes of JSON -> 4 characters
    const room = Math.floor(((MAX_ACCESS_TOKEN_LENGTH - base) * 3) / 4) - 3;
    const token = issuer.clientToken({ audience: AUD, claims: { c: 'y'.repeat(room) } });
    expect(token.length).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_LENGTH);
    expect(token.length).toBeGreaterThan(MAX_ACCESS_TOKEN_LENGTH - 8);
  });

  test('a key id header is set when given (Entra access keys)', () => {
    const token = new TokenIssuer(KEY, { keyId: 'kid-1' }).clientToken({ audience: AUD });
    expect(jwt.decode(token, { complete: true })?.header.kid).toBe('kid-1');
  });

  test('empty access key and audience are refused', () => {
    expect(() => new TokenIssuer('')).toThrow(TokenError);
    expect(() => issuer.clientToken({ audience: '' })).toThrow(/audience/);
  });
});

describe('TokenIssuer.restToken', () => {
  test('aud is the given URL; exp ~1h', () => {
    const claims = verify(new TokenIssuer(KEY).restToken('https://x.example.com/api/hubs/chat/:send'));
    expect(claims.aud).toBe('https://x.example.com/api/hubs/chat/:send');
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  test('tokens are reused per audience for the first 10% of their lifetime, then re-signed', () => {
    let now = 1_700_000_000_000;
    const issuer = new TokenIssuer(KEY, { now: () => now });
    const first = issuer.restToken('https://a/1');
    expect(issuer.restToken('https://a/1')).toBe(first);
    expect(issuer.restToken('https://a/2')).not.toBe(first);
    now += 359_000;
    expect(issuer.restToken('https://a/1')).toBe(first);
    now += 2_000;
    const renewed = issuer.restToken('https://a/1');
    expect(renewed).not.toBe(first);
    expect((jwt.decode(renewed) as jwt.JwtPayload).iat).toBe(Math.floor(now / 1000));
  });

  test('the cache is bounded without a cliff: past its size the least recently used token goes, not all of them', () => {
    let now = 1_700_000_000_000;
    const issuer = new TokenIssuer(KEY, { now: () => now });
    const audiences = Array.from({ length: 10_001 }, (_, i) => `https://a/users/u${i}`);
    const first = audiences.map((audience) => issuer.restToken(audience));
    now += 1000; // a re-signed token now carries another iat, so a cache hit is visible
    // The 10,001st token pushed out only the least recently used one: the most recent are all still cached.
    expect(issuer.restToken(audiences[10_000]!)).toBe(first[10_000]);
    expect(issuer.restToken(audiences[9_999]!)).toBe(first[9_999]);
    expect(issuer.restToken(audiences[1]!)).toBe(first[1]);
    expect(issuer.restToken(audiences[0]!)).not.toBe(first[0]);
  });

  test('caching can be disabled', () => {
    let now = 1_700_000_000_000;
    const issuer = new TokenIssuer(KEY, { restTokenReuseFraction: 1, now: () => now });
    const first = issuer.restToken('https://a/1');
    now += 1000;
    expect(issuer.restToken('https://a/1')).not.toBe(first);
  });
});
