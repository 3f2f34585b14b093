/**
 * Reading and interpreting a send body: bounded by maxBodyBytes (413 as soon as it is exceeded, without
 * buffering further), JSON parsed (400 on syntax errors), and matched case-insensitively to the
 * PayloadMessage `{target, arguments}` because the .NET SDK sends `Target`/`Arguments`.
 */
import type { IncomingMessage } from 'node:http';
import type { HubMessage } from '../serviceCore';
import { RequestErrorCodes, RestError } from './errors';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of objects/arrays accepted in a send body (System.Text.Json's and Json.NET's default
 * MaxDepth). Deeper arguments cannot be re-encoded for every client: the MessagePack encoder stops at 100
 * levels and JSON.stringify at the stack's end, and a failure there would cut a fan-out short.
 */
export const MAX_BODY_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion (the input may be 500k levels deep). */
function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function tooLarge(limit: number): RestError {
  // Connection: close because we stop reading the body: the socket cannot carry another request.
  return new RestError(413, RequestErrorCodes.tooLarge, `The request body is larger than ${limit} bytes.`, 'body', {
    Connection: 'close',
  });
}

/** Reads the body up to `limit` bytes. Rejects with a 413 RestError as soon as the limit is crossed. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: RestError | undefined) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = () => finish(new RestError(400, RequestErrorCodes.invalid, 'The request body could not be read.', 'body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function invalidBody(message: string, target = 'body'): RestError {
  return new RestError(400, RequestErrorCodes.invalid, message, target);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Finds a property by case-insensitive name, preferring the exact lower-case spelling. */
function property(obj: Record<string, unknown>, lowerName: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, lowerName)) return obj[lowerName];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lowerName);
  return key === undefined ? undefined : obj[key];
}

export function parseHubMessage(body: Buffer): HubMessage {
  const text = body.toString('utf8');
  if (text.trim() === '') throw invalidBody('A message body {"target": string, "arguments": [...]} is required.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidBody('The request body is not valid JSON.');
  }
  if (!isRecord(parsed)) throw invalidBody('The request body must be a JSON object {"target": string, "arguments": [...]}.');
  if (exceedsDepth(parsed, MAX_BODY_DEPTH)) {
    throw invalidBody(`"arguments" are nested more than ${MAX_BODY_DEPTH} levels deep (counting the body object).`, 'arguments');
  }
  const target = property(parsed, 'target');
  if (typeof target !== 'string' || target.length === 0) {
    throw invalidBody('"target" is required and must be a non-empty string.', 'target');
  }
  const args = property(parsed, 'arguments');
  if (args !== undefined && args !== null && !Array.isArray(args)) {
    throw invalidBody('"arguments" must be an array when given.', 'arguments');
  }
  return { target, arguments: Array.isArray(args) ? args : [] };
}
