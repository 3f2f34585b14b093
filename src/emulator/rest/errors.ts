/**
 * Error responses in the service's shape (src/contract/serviceErrors.ts): the JSON error body plus the
 * `x-ms-error-code` header carrying the same code.
 */
import type { ServerResponse } from 'node:http';
import { MS_ERROR_CODE_HEADER, RequestErrorCodes, serviceErrorBody, ServiceRuleError } from '../../contract';

/** A validation or protocol failure raised while handling a request; becomes the HTTP error response. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/** A broken service rule (a name, an id, a message) is the service's 400, naming the parameter at fault. */
export function invalidRequest(error: ServiceRuleError): RestError {
  return new RestError(400, RequestErrorCodes.invalid, error.message, error.parameter);
}

/** Runs a contract check, turning its ServiceRuleError into the service's 400. */
export function asRequestCheck<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ServiceRuleError) throw invalidRequest(error);
    throw error;
  }
}

export function writeError(res: ServerResponse, isHead: boolean, error: RestError): void {
  const json = JSON.stringify(serviceErrorBody(error.code, error.message, error.target));
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader(MS_ERROR_CODE_HEADER, error.code);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(isHead ? undefined : json);
}

export function writeSuccess(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('Content-Length', 0);
  res.end();
}
