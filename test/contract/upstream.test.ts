import { createHmac } from 'node:crypto';
import {
  formatClaimsHeader,
  formatClientQuery,
  isValidUpstreamSignature,
  parseClaimsHeader,
  parseClientQuery,
  upstreamSignatureHeader,
} from '../../src/contract';

const PRIMARY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const SECONDARY = 'secondary-key';
/** The signature computed here independently: sha256= + hex HMAC-SHA256 of the connection id, keyed with the AccessKey. */
const expected = (key: string, id: string): string => `sha256=${createHmac('sha256', key).update(id).digest('hex')}`;

describe('X-ASRS-Signature', () => {
  it('is one sha256=<hex> per key, comma-joined', () => {
    expect(upstreamSignatureHeader('conn-1', [PRIMARY, SECONDARY])).toBe(`${expected(PRIMARY, 'conn-1')},${expected(SECONDARY, 'conn-1')}`);
  });

  it('is accepted when any entry matches any key, ignoring hex case and spaces', () => {
    const header = `${expected('other', 'conn-1')}, ${expected(SECONDARY, 'conn-1').toUpperCase().replace('SHA256=', 'sha256=')}`;
    expect(isValidUpstreamSignature(header, 'conn-1', [PRIMARY, SECONDARY])).toBe(true);
    expect(isValidUpstreamSignature(header, 'conn-1', [PRIMARY])).toBe(false);
  });

  it('is refused for another connection id, a missing header, or no keys', () => {
    expect(isValidUpstreamSignature(expected(PRIMARY, 'conn-1'), 'conn-2', [PRIMARY])).toBe(false);
    expect(isValidUpstreamSignature(undefined, 'conn-1', [PRIMARY])).toBe(false);
    expect(isValidUpstreamSignature(expected(PRIMARY, 'conn-1'), 'conn-1', [])).toBe(false);
    expect(isValidUpstreamSignature(expected(PRIMARY, 'conn-1').slice(0, -1), 'conn-1', [PRIMARY])).toBe(false);
  });
});

describe('X-ASRS-User-Claims', () => {
  it('carries every claim as "type: value", once per value, and reads back with the first value winning', () => {
    const header = formatClaimsHeader({ 'asrs.s.uid': 'alice', role: ['admin', 'dev'], exp: 1700000000 });
    expect(header).toBe('asrs.s.uid: alice, role: admin, role: dev, exp: 1700000000');
    expect(parseClaimsHeader(header)).toEqual({ 'asrs.s.uid': 'alice', role: 'admin', exp: '1700000000' });
  });

  it('is null when absent or empty', () => {
    expect(parseClaimsHeader(undefined)).toBeNull();
    expect(parseClaimsHeader('  ')).toBeNull();
  });
});

describe('X-ASRS-Client-Query', () => {
  it('keeps the client query with a leading ?, without the access token or connection token', () => {
    const query = formatClientQuery(new URLSearchParams('hub=chat&id=conn-token&access_token=eyJ.x.y&room=4 2'));
    expect(query).toBe('?hub=chat&room=4+2');
    expect(parseClientQuery(query)).toEqual({ hub: 'chat', room: '4 2' });
  });

  it('joins repeated names and is null when absent; nothing left means no header', () => {
    expect(parseClientQuery('a=1&a=2')).toEqual({ a: '1,2' });
    expect(parseClientQuery(undefined)).toBeNull();
    expect(formatClientQuery(new URLSearchParams('id=x&access_token=y'))).toBeUndefined();
  });
});
