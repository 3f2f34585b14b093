/**
 * Error responses in the service's shape: body `{code, message, target, details, inner}` (the swagger's
 * ErrorDetail) plus an `x-ms-error-code` header carrying the same code, which is what SDKs inspect.
 */
import type { ServerResponse } from 'node:http';

/** Codes the service itself uses (Level.Scope.Kind), as the official SDK and emulator define them. */
export const ServiceErrorCodes = {
  connectionNotExistedWarning: 'Warning.Connection.NotExisted',
  userNotExisted: 'Warning.User.NotExisted',
  groupNotExisted: 'Warning.Group.NotExisted',
  userNotInGroup: 'Info.User.NotInGroup',
  connectionNotExistedError: 'Error.Connection.NotExisted',
} as const;

/**
 * Codes for failures the swagger leaves as "default: Error response". The service does not publish these;
 * they follow the same Level.Scope.Kind pattern so callers can switch on them.
 */
export const RequestErrorCodes = {
  invalid: 'Error.Request.Invalid',
  unauthorized: 'Error.Request.Unauthorized',
  notFound: 'Error.Request.NotFound',
  methodNotAllowed: 'Error.Request.MethodNotAllowed',
  tooLarge: 'Error.Request.TooLarge',
  internal: 'Error.Request.Internal',
} as const;

export interface ErrorBody {
  code: string;
  message: string;
  target: string | null;
  details: ErrorBody[] | null;
  inner: { code: string } | null;
}

export const MS_ERROR_CODE_HEADER = 'x-ms-error-code';

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

export function writeError(res: ServerResponse, isHead: boolean, error: RestError): void {
  const body: ErrorBody = { code: error.code, message: error.message, target: error.target, details: null, inner: null };
  const json = JSON.stringify(body);
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
