/**
 * SignalR hub-protocol framing used by the baseline servers and the client harness: JSON records end
 * with 0x1E; MessagePack records carry a varint length prefix. Only what the benchmarks need.
 */
import { encode } from '@msgpack/msgpack';

export type HubProtocolName = 'json' | 'messagepack';

export const RECORD_SEPARATOR = 0x1e;

export function handshakeRequest(protocol: HubProtocolName): string {
  return `${JSON.stringify({ protocol, version: 1 })}\u001e`;
}

export const HANDSHAKE_OK = '{}\u001e';

/** Invocation record bytes exactly as a hub server sends a REST send to its clients. */
export function invocationFrame(protocol: HubProtocolName, target: string, args: readonly unknown[]): Buffer {
  if (protocol === 'json') return Buffer.from(`${JSON.stringify({ type: 1, target, arguments: args })}\u001e`);
  // [type, headers, invocationId, target, arguments] per the MessagePack hub protocol.
  const body = encode([1, {}, null, target, args]);
  return Buffer.concat([varint(body.length), body]);
}

export function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

const PING_JSON = Buffer.from('{"type":6}');

/** A Ping record: clients send one every 15 s (we use less) or the service drops them after 30 s. */
export function pingFrame(protocol: HubProtocolName): Buffer {
  if (protocol === 'json') return Buffer.from('{"type":6}\u001e');
  const body = encode([6]);
  return Buffer.concat([varint(body.length), body]);
}
const INVOCATION_JSON = Buffer.from('"type":1');

/**
 * Counts invocation records (type 1) in one WebSocket message, skipping pings and other records.
 * JSON: records split on 0x1E, an invocation contains `"type":1` (the byte after it ends the number).
 * MessagePack: varint length, then an array whose second byte is the message type.
 */
export function countInvocations(protocol: HubProtocolName, data: Buffer, startOffset = 0): number {
  let count = 0;
  if (protocol === 'json') {
    let start = startOffset;
    for (;;) {
      const end = data.indexOf(RECORD_SEPARATOR, start);
      if (end < 0) break;
      if (end - start !== PING_JSON.length || !data.subarray(start, end).equals(PING_JSON)) {
        const at = data.indexOf(INVOCATION_JSON, start);
        if (at >= 0 && at < end) {
          const next = data[at + INVOCATION_JSON.length];
          if (next === 0x2c /* , */ || next === 0x7d /* } */) count++;
        }
      }
      start = end + 1;
    }
    return count;
  }
  let offset = startOffset;
  while (offset < data.length) {
    let length = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = data[offset++];
      length |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && offset < data.length);
    // Array header (fixarray 0x9X) then the type as a positive fixint.
    if (data[offset + 1] === 1) count++;
    offset += length;
  }
  return count;
}
