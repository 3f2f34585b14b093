import type { HttpResponseInit } from '@azure/functions';

/**
 * The one error body shape every function in this app answers with:
 * `{ "error": { "code": "...", "message": "...", "field": "..." } }` (`field` only when one input is at fault).
 * Messages are written for the caller: they never carry secrets, tokens or stack traces.
 */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
  };
}

/** A failure that already knows its HTTP status and public error body. Thrown by request helpers, caught at the edge. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    if (field !== undefined) this.field = field;
  }

  toResponse(): HttpResponseInit {
    return errorResponse(this.status, this.code, this.message, this.field);
  }
}

/** 400: the request is malformed or a field is invalid. */
export function badRequest(code: string, message: string, field?: string): HttpError {
  return new HttpError(400, code, message, field);
}

/** 403: the caller is known (or anonymous) and may not do this. */
export function forbidden(code: string, message: string, field?: string): HttpError {
  return new HttpError(403, code, message, field);
}

export function errorResponse(status: number, code: string, message: string, field?: string): HttpResponseInit {
  const body: ErrorBody = { error: { code, message } };
  if (field !== undefined) body.error.field = field;
  return {
    status,
    jsonBody: body,
    // Error bodies depend on the request and may name user input: never cache them.
    headers: { 'cache-control': 'no-store' },
  };
}
