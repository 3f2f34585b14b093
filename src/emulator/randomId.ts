/**
 * Random identifiers (connection ids and tokens), base64url. Drawn from a pool of cryptographically random
 * bytes, refilled a few kilobytes at a time: asking the system for 16 bytes per id was ~3% of the emulator's
 * CPU per connection. The bytes are as unpredictable either way; each is handed out once.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export function randomId(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError(`randomId draws at most ${POOL_BYTES} bytes`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return id;
}
