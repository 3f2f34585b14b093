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

/** JSON records end with the ASCII record separator (0x1E). */
export const RECORD_SEPARATOR = 0x1e;
export const RECORD_SEPARATOR_CHAR = '\u001e';

/** Splits complete 0x1E-terminated records off the buffer. */
export function splitRecords(buffer: Buffer): { records: Buffer[]; rest: Buffer } {
  const records: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = buffer.indexOf(RECORD_SEPARATOR, start);
    if (end < 0) break;
    records.push(buffer.subarray(start, end));
    start = end + 1;
  }
  return { records, rest: start === 0 ? buffer : buffer.subarray(start) };
}

function toMessage(value: unknown): HubProtocolMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('Expected a JSON object.');
  }
  const raw = value as Record<string, unknown>;
  if (typeof raw.type !== 'number') throw new ProtocolError("Missing required property 'type'.");
  switch (raw.type) {
    case MessageType.Invocation:
      return {
        type: MessageType.Invocation,
        invocationId: optionalString(raw.invocationId, 'invocationId'),
        target: requireString(raw.target, 'target'),
        arguments: requireArray(raw.arguments, 'arguments'),
        streamIds: optionalStringArray(raw.streamIds, 'streamIds'),
        headers: optionalHeaders(raw.headers),
      };
    case MessageType.StreamInvocation:
      return {
        type: MessageType.StreamInvocation,
        invocationId: requireString(raw.invocationId, 'invocationId'),
        target: requireString(raw.target, 'target'),
        arguments: requireArray(raw.arguments, 'arguments'),
        streamIds: optionalStringArray(raw.streamIds, 'streamIds'),
        headers: optionalHeaders(raw.headers),
      };
    case MessageType.StreamItem:
      return { type: MessageType.StreamItem, invocationId: requireString(raw.invocationId, 'invocationId'), item: raw.item };
    case MessageType.Completion:
      return {
        type: MessageType.Completion,
        invocationId: requireString(raw.invocationId, 'invocationId'),
        error: optionalString(raw.error, 'error'),
        result: raw.result,
        hasResult: 'result' in raw,
      };
    case MessageType.CancelInvocation:
      return { type: MessageType.CancelInvocation, invocationId: requireString(raw.invocationId, 'invocationId') };
    case MessageType.Ping:
      return { type: MessageType.Ping };
    case MessageType.Close:
      return {
        type: MessageType.Close,
        error: optionalString(raw.error, 'error'),
        allowReconnect: raw.allowReconnect === true,
      };
    case MessageType.Ack:
      return { type: MessageType.Ack, sequenceId: requireNumber(raw.sequenceId, 'sequenceId') };
    case MessageType.Sequence:
      return { type: MessageType.Sequence, sequenceId: requireNumber(raw.sequenceId, 'sequenceId') };
    default:
      // Newer protocol revisions may add message types; peers ignore the ones they don't know.
      return undefined;
  }
}

/** The object written to the wire: only the fields the message type defines. */
function toWire(message: HubProtocolMessage): Record<string, unknown> {
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation: {
      const wire: Record<string, unknown> = { type: message.type };
      if (message.headers) wire.headers = message.headers;
      if (message.invocationId !== undefined) wire.invocationId = message.invocationId;
      wire.target = message.target;
      wire.arguments = message.arguments;
      if (message.streamIds && message.streamIds.length > 0) wire.streamIds = message.streamIds;
      return wire;
    }
    case MessageType.Completion: {
      const wire: Record<string, unknown> = { type: message.type, invocationId: message.invocationId };
      if (message.error !== undefined) wire.error = message.error;
      else if (message.hasResult) wire.result = message.result;
      return wire;
    }
    case MessageType.Close: {
      const wire: Record<string, unknown> = { type: message.type };
      if (message.error !== undefined) wire.error = message.error;
      if (message.allowReconnect !== undefined) wire.allowReconnect = message.allowReconnect;
      return wire;
    }
    default:
      return { ...message };
  }
}

function readRecord(record: Buffer): HubProtocolMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(record.toString('utf8'));
  } catch {
    throw new ProtocolError('Error reading JSON.');
  }
  return toMessage(value);
}

export const jsonProtocol: HubProtocol = {
  name: 'json',
  transferFormat: 'Text',
  contentType: 'application/json',
  parse(buffer) {
    const { records, rest } = splitRecords(buffer);
    const messages: HubProtocolMessage[] = [];
    for (const record of records) {
      const message = readRecord(record);
      if (message) messages.push(message);
    }
    return { messages, rest };
  },
  write(message) {
    return Buffer.from(JSON.stringify(toWire(message)) + RECORD_SEPARATOR_CHAR, 'utf8');
  },
  serialize(message) {
    return Buffer.from(JSON.stringify(toWire(message)), 'utf8');
  },
  deserialize(body) {
    // A trailing record separator is tolerated, as the official parsers do.
    return readRecord(body.length > 0 && body[body.length - 1] === RECORD_SEPARATOR ? body.subarray(0, -1) : body);
  },
};
