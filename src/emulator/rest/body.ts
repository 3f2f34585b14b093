/**
 * Reading and interpreting a send body: bounded by maxBodyBytes (413 as soon as it is exceeded, without
 * buffering further), JSON parsed (400 on syntax errors), then read by the contract's message rule.
 */
import type { IncomingMessage } from 'node:http';
import type { HubMessage } from '../serviceCore';
import { readRestMessage, RequestErrorCodes } from '../../contract';
import { asRequestCheck, RestError } from './errors';

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

/**
 * Parses a send body and reads it as the service does (src/contract/messages.ts): an object nested at most 64
 * levels deep, with a non-empty `target` and `arguments` that is an array or absent.
 */
export function parseHubMessage(body: Buffer): HubMessage {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new RestError(400, RequestErrorCodes.invalid, 'A message body {"target": string, "arguments": [...]} is required.', 'body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RestError(400, RequestErrorCodes.invalid, 'The request body is not valid JSON.', 'body');
  }
  return asRequestCheck(() => readRestMessage(parsed));
}
