/** Words for an upstream call's outcome, for log lines and Completion errors. */
import { fieldIgnoringCase, isPlainObject } from '../../contract';
import type { UpstreamOutcome } from './upstreamCaller';

const MAX_DETAIL_LENGTH = 1000;

/**
 * The upstream's own explanation of an error answer, when it gives one: the `message` (or `error`, or
 * `error.message`) of a JSON body, or the start of a text body. Undefined for binary or empty bodies.
 */
export function upstreamErrorDetail(body: Buffer, contentType: string | undefined): string | undefined {
  if (body.length === 0) return undefined;
  const type = (contentType ?? '').toLowerCase();
  let text: string | undefined;
  if (type.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (isPlainObject(parsed)) {
        const error = fieldIgnoringCase(parsed, 'error');
        const candidate = fieldIgnoringCase(parsed, 'message') ?? (isPlainObject(error) ? fieldIgnoringCase(error, 'message') : error);
        if (typeof candidate === 'string') text = candidate;
      }
    } catch {
      text = body.toString('utf8');
    }
  } else if (type.startsWith('text/') || type === '') {
    text = body.toString('utf8');
  }
  if (text === undefined) return undefined;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return undefined;
  return oneLine.length > MAX_DETAIL_LENGTH ? `${oneLine.slice(0, MAX_DETAIL_LENGTH)}...` : oneLine;
}

/** `-> 200`, `-> 404: no function ...`, `timed out after N ms`, `could not connect (ECONNREFUSED)`. */
export function describeUpstreamOutcome(outcome: UpstreamOutcome, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'answered': {
      const detail = outcome.status >= 200 && outcome.status < 300 ? undefined : upstreamErrorDetail(outcome.body, outcome.contentType);
      return `answered ${outcome.status}${detail === undefined ? '' : `: ${detail}`}`;
    }
    case 'timeout':
      return `did not answer within ${timeoutMs} ms (timeout)`;
    case 'unreachable':
      return `could not be reached: ${outcome.message}${outcome.code === undefined ? '' : ` (${outcome.code}); is the function app running?`}`;
    case 'tooLarge':
      return 'answered with a body over the 16 MB the service reads';
  }
}
