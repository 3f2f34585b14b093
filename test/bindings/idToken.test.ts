import jwt from 'jsonwebtoken';
import { claimsFromIdToken } from '../../src/bindings';

const token = jwt.sign({ sub: 'u1', name: 'Ann', roles: ['a', 'b'], age: 30, aud: 'someone' }, 'not-checked');

describe('claims from an id token', () => {
  it('copies only the listed claim types, without validating the signature', () => {
    expect(claimsFromIdToken(token, ['name', 'roles', 'age', 'missing'])).toEqual({ name: 'Ann', roles: ['a', 'b'], age: '30' });
  });

  it('accepts a Bearer prefix (an Authorization header)', () => {
    expect(claimsFromIdToken(`Bearer ${token}`, ['sub'])).toEqual({ sub: 'u1' });
    expect(claimsFromIdToken(`bearer   ${token}`, ['sub'])).toEqual({ sub: 'u1' });
  });

  it('copies nothing without a claim type list (as the official binding)', () => {
    expect(claimsFromIdToken(token, undefined)).toBeUndefined();
    expect(claimsFromIdToken(token, [])).toBeUndefined();
  });

  it('an absent or undecodable token yields no claims, not an error', () => {
    expect(claimsFromIdToken(undefined, ['sub'])).toBeUndefined();
    expect(claimsFromIdToken('Bearer ', ['sub'])).toBeUndefined();
    expect(claimsFromIdToken('not-a-jwt', ['sub'])).toBeUndefined();
  });
});
