import { Decoder, Encoder } from '@msgpack/msgpack';
import { HubProtocol } from './hubProtocol';
import { HubProtocolMessage, MessageType, ProtocolError } from './messages';
import {
  optionalHeaders,
  optionalString,
  optionalStringArray,
  requireArray,
  requireNumber,
  requireString,
} from './validate';

/** Binary frames: a varint length prefix (7 bits a byte, at most 5 bytes) then the MessagePack body. */
const MAX_PREFIX_BYTES = 5;

export function writeLengthPrefixed(body: Uint8Array): Buffer {
  const prefix: number[] = [];
  let size = body.byteLength;
  do {
    let part = size & 0x7f;
    size >>>= 7;
    if (size > 0) part |= 0x80;
    prefix.push(part);
  } while (size > 0);
  const frame = Buffer.allocUnsafe(prefix.length + body.byteLength);
  frame.set(prefix, 0);
  frame.set(body, prefix.length);
  return frame;
}

/** Splits complete length-prefixed frames off the buffer. */
export function splitLengthPrefixed(buffer: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    let size = 0;
    let prefixBytes = 0;
    let byte = 0;
    do {
      if (offset + prefixBytes >= buffer.length) return { frames, rest: buffer.subarray(offset) };
      byte = buffer[offset + prefixBytes];
      size += (byte & 0x7f) * 2 ** (7 * prefixBytes);
      prefixBytes++;
    } while ((byte & 0x80) !== 0 && prefixBytes < MAX_PREFIX_BYTES);
    if ((byte & 0x80) !== 0 || size > 0x7fffffff) throw new ProtocolError('Messages over 2GB are not supported.');
    const end = offset + prefixBytes + size;
    if (end > buffer.length) break;
    frames.push(buffer.subarray(offset + prefixBytes, end));
    offset = end;
  }
  return { frames, rest: offset === 0 ? buffer : buffer.subarray(offset) };
}

/**
 * How many bytes the incomplete frame at the start of `partial` needs in all before it can be parsed: the
 * announced length once the prefix is complete, else one more byte (the prefix itself is at most 5 bytes).
 */
export function lengthPrefixedBytesNeeded(partial: Buffer): number {
  let size = 0;
  for (let i = 0; i < MAX_PREFIX_BYTES && i < partial.length; i++) {
    size += (partial[i] & 0x7f) * 2 ** (7 * i);
    if ((partial[i] & 0x80) === 0) return i + 1 + size;
  }
  return partial.length + 1;
}

const encoder = new Encoder({ ignoreUndefined: false });
const decoder = new Decoder();

/** Completion result kinds in the MessagePack encoding. */
const ErrorResult = 1;
const VoidResult = 2;
const NonVoidResult = 3;

function needLength(items: unknown[], min: number, what: string): void {
  if (items.length < min) throw new ProtocolError(`Invalid payload for ${what} message.`);
}

function toMessage(items: unknown[]): HubProtocolMessage | undefined {
  const type = requireNumber(items[0], 'type');
  switch (type) {
    case MessageType.Invocation:
      needLength(items, 5, 'Invocation');
      return {
        type: MessageType.Invocation,
        headers: optionalHeaders(items[1]),
        invocationId: optionalString(items[2], 'invocationId'),
        target: requireString(items[3], 'target'),
        arguments: requireArray(items[4], 'arguments'),
        streamIds: optionalStringArray(items[5], 'streamIds'),
      };
    case MessageType.StreamInvocation:
      needLength(items, 5, 'StreamInvocation');
      return {
        type: MessageType.StreamInvocation,
        headers: optionalHeaders(items[1]),
        invocationId: requireString(items[2], 'invocationId'),
        target: requireString(items[3], 'target'),
        arguments: requireArray(items[4], 'arguments'),
        streamIds: optionalStringArray(items[5], 'streamIds'),
      };
    case MessageType.StreamItem:
      needLength(items, 4, 'StreamItem');
      return { type: MessageType.StreamItem, invocationId: requireString(items[2], 'invocationId'), item: items[3] };
    case MessageType.Completion: {
      needLength(items, 4, 'Completion');
      const invocationId = requireString(items[2], 'invocationId');
      const kind = requireNumber(items[3], 'resultKind');
      if (kind === ErrorResult) {
        needLength(items, 5, 'Completion');
        return { type: MessageType.Completion, invocationId, error: requireString(items[4], 'error') };
      }
      if (kind === NonVoidResult) {
        needLength(items, 5, 'Completion');
        return { type: MessageType.Completion, invocationId, result: items[4], hasResult: true };
      }
      if (kind === VoidResult) return { type: MessageType.Completion, invocationId };
      throw new ProtocolError('Invalid result kind.');
    }
    case MessageType.CancelInvocation:
      needLength(items, 3, 'CancelInvocation');
      return { type: MessageType.CancelInvocation, invocationId: requireString(items[2], 'invocationId') };
    case MessageType.Ping:
      return { type: MessageType.Ping };
    case MessageType.Close:
      needLength(items, 2, 'Close');
      return { type: MessageType.Close, error: optionalString(items[1], 'error'), allowReconnect: items[2] === true };
    case MessageType.Ack:
      needLength(items, 2, 'Ack');
      return { type: MessageType.Ack, sequenceId: requireNumber(items[1], 'sequenceId') };
    case MessageType.Sequence:
      needLength(items, 2, 'Sequence');
      return { type: MessageType.Sequence, sequenceId: requireNumber(items[1], 'sequenceId') };
    default:
      return undefined;
  }
}

function toWire(message: HubProtocolMessage): unknown[] {
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation: {
      const wire: unknown[] = [message.type, message.headers ?? {}, message.invocationId ?? null, message.target, message.arguments];
      if (message.streamIds && message.streamIds.length > 0) wire.push(message.streamIds);
      return wire;
    }
    case MessageType.StreamItem:
      return [message.type, message.headers ?? {}, message.invocationId, message.item];
    case MessageType.Completion:
      if (message.error !== undefined) return [message.type, message.headers ?? {}, message.invocationId, ErrorResult, message.error];
      if (message.hasResult) return [message.type, message.headers ?? {}, message.invocationId, NonVoidResult, message.result];
      return [message.type, message.headers ?? {}, message.invocationId, VoidResult];
    case MessageType.CancelInvocation:
      return [message.type, message.headers ?? {}, message.invocationId];
    case MessageType.Ping:
      return [message.type];
    case MessageType.Close:
      return [message.type, message.error ?? null, message.allowReconnect ?? false];
    case MessageType.Ack:
    case MessageType.Sequence:
      return [message.type, message.sequenceId];
  }
}

function readFrame(frame: Uint8Array): HubProtocolMessage | undefined {
  let value: unknown;
  try {
    value = decoder.decode(frame);
  } catch {
    throw new ProtocolError('Error reading MessagePack data.');
  }
  if (!Array.isArray(value) || value.length === 0) throw new ProtocolError('Invalid payload.');
  return toMessage(value);
}

export const messagePackProtocol: HubProtocol = {
  name: 'messagepack',
  transferFormat: 'Binary',
  contentType: 'application/x-msgpack',
  parse(buffer) {
    const { frames, rest } = splitLengthPrefixed(buffer);
    const messages: HubProtocolMessage[] = [];
    for (const frame of frames) {
      const message = readFrame(frame);
      if (message) messages.push(message);
    }
    return { messages, rest };
  },
  write(message) {
    return writeLengthPrefixed(encoder.encode(toWire(message)));
  },
  serialize(message) {
    const bytes = encoder.encode(toWire(message));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  deserialize(body) {
    return readFrame(body);
  },
};
