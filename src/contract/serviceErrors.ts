/**
 * How the service reports a failed REST call: a JSON body `{code, message, target, details, inner}` (the
 * swagger's ErrorDetail) and the same code in the `x-ms-error-code` header, which is what SDKs switch on.
 * The client endpoint's negotiate answers errors as `{"error": "..."}`, which the official client reads.
 */
import { fieldIgnoringCase, isPlainObject } from './json';

export const MS_ERROR_CODE_HEADER = 'x-ms-error-code';

/** Codes the service itself uses (Level.Scope.Kind), as the official SDK and emulator name them. */
export const ServiceErrorCodes = {
  connectionNotExistedWarning: 'Warning.Connection.NotExisted',
  userNotExisted: 'Warning.User.NotExisted',
  groupNotExisted: 'Warning.Group.NotExisted',
  userNotInGroup: 'Info.User.NotInGroup',
  connectionNotExistedError: 'Error.Connection.NotExisted',
} as const;

/**
 * Codes for failures the swagger leaves as "default: Error response". The service does not publish these; they
 * follow the same Level.Scope.Kind pattern so callers can switch on them.
 */
export const RequestErrorCodes = {
  invalid: 'Error.Request.Invalid',
  unauthorized: 'Error.Request.Unauthorized',
  notFound: 'Error.Request.NotFound',
  methodNotAllowed: 'Error.Request.MethodNotAllowed',
  tooLarge: 'Error.Request.TooLarge',
  internal: 'Error.Request.Internal',
} as const;

export interface ServiceErrorBody {
  code: string;
  message: string;
  target: string | null;
  details: ServiceErrorBody[] | null;
  inner: { code: string } | null;
}

export function serviceErrorBody(code: string, message: string, target: string | null = null): ServiceErrorBody {
  return { code, message, target, details: null, inner: null };
}

/** The negotiate endpoint's error answer, as the official client reads it. */
export function negotiateErrorBody(message: string): { error: string } {
  return { error: message };
}

/**
 * The human message of an error answer: `message` of a service error body (any casing), `error` of a negotiate
 * error, else the text itself. Undefined for an empty body.
 */
export function errorMessageOf(bodyText: string): string | undefined {
  if (bodyText.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isPlainObject(parsed)) {
      const candidate = fieldIgnoringCase(parsed, 'message') ?? parsed['error'];
      if (typeof candidate === 'string') return candidate.trim();
    }
  } catch {
    // not JSON: the text is the message
  }
  return bodyText.trim();
}
