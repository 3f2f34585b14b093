/**
 * The tokens baseline: an HS256 JWT written by hand with `node:crypto`, the least work a correct
 * signer can do (header encoded once, one JSON.stringify, one HMAC per token). Also used by the
 * benchmark harness to get client tokens without going through the code under test.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export class HandJwtSigner {
  private readonly key: KeyObject;

  constructor(accessKey: string) {
    this.key = createSecretKey(Buffer.from(accessKey, 'utf8'));
  }

  sign(claims: Record<string, unknown>, lifetimeSeconds = 3600): string {
    const iat = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ ...claims, iat, nbf: iat, exp: iat + lifetimeSeconds })).toString('base64url');
    const unsigned = `${HEADER}.${payload}`;
    return `${unsigned}.${createHmac('sha256', this.key).update(unsigned).digest('base64url')}`;
  }
}
