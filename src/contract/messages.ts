/**
 * The message a REST send carries: `{"target": string, "arguments": [...]}` (PayloadMessage in the swagger),
 * read case-insensitively because the .NET SDK writes `Target`/`Arguments`.
 */
import { PayloadTooLargeError, ServiceRuleError } from './errors';
import { fieldIgnoringCase, isPlainObject, nestsDeeperThan } from './json';
import { MAX_MESSAGE_DEPTH, MAX_REST_BODY_BYTES } from './limits';

export interface RestMessage {
  target: string;
  arguments: unknown[];
}

/** The target names the client method to invoke; it may not be empty. */
export function checkTarget(value: unknown, parameter = 'target'): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceRuleError(parameter, 'must be a non-empty string (the client method to invoke)');
  return value;
}

/**
 * The JSON body of a send, as the client writes it. Throws ServiceRuleError for a bad target or arguments, and
 * PayloadTooLargeError when the body would be over the service's limit.
 */
export function serializeRestMessage(message: RestMessage, parameter = 'payload'): string {
  if (!isPlainObject(message)) throw new ServiceRuleError(parameter, 'must be an object {target, arguments}');
  checkTarget(message.target, `${parameter}.target`);
  if (!Array.isArray(message.arguments)) throw new ServiceRuleError(`${parameter}.arguments`, 'must be an array');
  let body: string;
  try {
    body = JSON.stringify({ target: message.target, arguments: message.arguments });
  } catch (error) {
    throw new ServiceRuleError(`${parameter}.arguments`, `cannot be serialized to JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_REST_BODY_BYTES) {
    throw new PayloadTooLargeError(parameter, `is ${bytes} bytes as JSON, over the service limit of ${MAX_REST_BODY_BYTES} bytes`);
  }
  return body;
}

/**
 * Reads a parsed send body as the service does: an object, nested at most MAX_MESSAGE_DEPTH levels, with a
 * non-empty `target` and `arguments` that is an array or absent (then no arguments).
 */
export function readRestMessage(body: unknown): RestMessage {
  if (!isPlainObject(body)) throw new ServiceRuleError('body', 'must be a JSON object {"target": string, "arguments": [...]}');
  if (nestsDeeperThan(body, MAX_MESSAGE_DEPTH)) {
    throw new ServiceRuleError('arguments', `must not nest more than ${MAX_MESSAGE_DEPTH} levels deep (counting the body object)`);
  }
  const target = checkTarget(fieldIgnoringCase(body, 'target'));
  const args = fieldIgnoringCase(body, 'arguments');
  if (args !== undefined && args !== null && !Array.isArray(args)) throw new ServiceRuleError('arguments', 'must be an array when given');
  return { target, arguments: Array.isArray(args) ? args : [] };
}

/**
 * A binary REST send (the .NET Management SDK from 1.21 on, when hub protocols are configured): the body is a
 * MessagePack map from hub protocol name (`json`, `messagepack`) to the message framed in that protocol, and
 * clients receive the frame of their own protocol. Sent with either media type.
 */
export const REST_BINARY_CONTENT_TYPES: readonly string[] = ['application/x-msgpack', 'application/octet-stream'];

export function isBinaryRestBody(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return REST_BINARY_CONTENT_TYPES.includes(media);
}
