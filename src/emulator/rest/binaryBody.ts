/**
 * Reads a binary REST send: a MessagePack map from hub protocol name to the message framed in that protocol
 * (src/contract/messages.ts). Each frame must hold exactly one Invocation, with the same target in every protocol;
 * the message is then checked by the same rule as a JSON send. A protocol the sender left out is encoded here, so
 * JSON and MessagePack clients alike receive the send.
 */
import { Decoder } from '@msgpack/msgpack';
import { isPlainObject, readRestMessage, RequestErrorCodes } from '../../contract';
import type { HubProtocol } from '../../protocol/hubProtocol';
import { jsonProtocol } from '../../protocol/jsonProtocol';
import { messagePackProtocol } from '../../protocol/messagePackProtocol';
import { MessageType, ProtocolError, type InvocationMessage } from '../../protocol/messages';
import type { HubMessage } from '../serviceCore';
import { asRequestCheck, RestError } from './errors';

const PROTOCOLS: ReadonlyMap<string, HubProtocol> = new Map([
  [jsonProtocol.name, jsonProtocol],
  [messagePackProtocol.name, messagePackProtocol],
]);

const decoder = new Decoder();

function invalid(message: string): RestError {
  return new RestError(400, RequestErrorCodes.invalid, message, 'body');
}

export function parseBinaryHubMessage(body: Buffer): HubMessage {
  let map: unknown;
  try {
    map = decoder.decode(body);
  } catch {
    throw invalid('The binary body is not MessagePack: it must be a map from hub protocol name to the framed message.');
  }
  if (map instanceof Map || !isPlainObject(map)) throw invalid('The binary body must be a MessagePack map from hub protocol name (json, messagepack) to the framed message.');
  const frames: Partial<Record<HubProtocol['name'], Buffer>> = {};
  let message: InvocationMessage | undefined;
  for (const [name, value] of Object.entries(map)) {
    const protocol = PROTOCOLS.get(name);
    if (protocol === undefined) continue; // a protocol this service does not speak: no client can use it
    if (!(value instanceof Uint8Array)) throw invalid(`The '${name}' entry of the binary body must be binary (the framed message).`);
    const frame = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const parsed = invocationIn(protocol, frame);
    if (message !== undefined && parsed.target !== message.target) throw invalid('The entries of the binary body carry different messages.');
    message ??= parsed;
    frames[protocol.name] = frame;
  }
  if (message === undefined) throw invalid("The binary body has no 'json' or 'messagepack' entry.");
  const checked = asRequestCheck(() => readRestMessage({ target: message.target, arguments: message.arguments }));
  const invocation = { type: MessageType.Invocation, target: checked.target, arguments: checked.arguments } as const;
  frames.json ??= jsonProtocol.write({ ...invocation, arguments: binaryAsBase64(invocation.arguments) as unknown[] });
  frames.messagepack ??= messagePackProtocol.write(invocation);
  return { target: checked.target, arguments: checked.arguments, frames };
}

function invocationIn(protocol: HubProtocol, frame: Buffer): InvocationMessage {
  let parsed: ReturnType<HubProtocol['parse']>;
  try {
    parsed = protocol.parse(frame);
  } catch (error) {
    throw invalid(`The '${protocol.name}' entry is not a ${protocol.name} hub message: ${error instanceof ProtocolError ? error.message : 'unreadable'}`);
  }
  const [only] = parsed.messages;
  if (parsed.messages.length !== 1 || parsed.rest.length > 0 || only?.type !== MessageType.Invocation) {
    throw invalid(`The '${protocol.name}' entry must hold exactly one framed Invocation message.`);
  }
  return only;
}

/** Binary MessagePack values become base64 strings in JSON, as the .NET JSON protocol writes a byte[]. */
function binaryAsBase64(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(binaryAsBase64);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, binaryAsBase64(v)]));
  return value;
}
