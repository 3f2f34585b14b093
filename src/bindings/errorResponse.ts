import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { EntraAuthError } from '../client/auth/entra';
import { TokenError } from '../client/auth/tokens';
import { ConfigError } from '../client/config/connectionString';
import { SignalREndpointsError } from '../client/endpoints/errors';
import { EndpointRoutingError } from '../client/endpoints/router';
import { SignalRBusyError, SignalRNetworkError, SignalRServiceError, SignalRTimeoutError } from '../client/rest/errors';
import { PayloadTooLargeError, ServiceRuleError } from '../contract';
import { SignalRInputError, SignalROutputValidationError, SignalRSendError } from './errors';
import { ExpressionSyntaxError, MissingAppSettingError } from './expressions';
import { errorResponse, HttpError } from './httpErrors';

/**
 * Turns any failure into the app's JSON error response, and logs it. The response never carries secrets,
 * stack traces or the service's raw answer; the log carries the detailed (already secret-free) message.
 *
 * | failure                                   | status | code                     |
 * |-------------------------------------------|--------|--------------------------|
 * | HttpError (bad request, forbidden, ...)   | its own| its own                  |
 * | REST argument refused (bad group name...) | 400    | InvalidArgument          |
 * | service said 404 (no such connection...)  | 404    | SignalRNotFound          |
 * | service said 413 / message over 1 MB      | 413    | PayloadTooLarge          |
 * | service throttled (429, after retries)     | 503    | SignalRServiceBusy + Retry-After |
 * | too many calls already in flight          | 503    | SignalRServiceBusy + Retry-After |
 * | service answered any other error status   | 502    | SignalRServiceRejected   |
 * | service unreachable / connection broke    | 503    | SignalRServiceUnavailable|
 * | service answered 503 (after retries)      | 503    | SignalRServiceUnavailable|
 * | service did not answer in time / said 504 | 504    | SignalRServiceTimeout    |
 * | some endpoints accepted, others failed    | 502    | SignalRPartialFailure    |
 * | every endpoint failed                     | as the first endpoint's failure   |
 * | the app's endpoint router answered wrong  | 500    | SignalRRoutingError      |
 * | client token refused (over 4 KB of claims)| 400    | InvalidTokenRequest      |
 * | Microsoft Entra ID token/key unavailable  | 503    | SignalRAuthUnavailable   |
 * | app setting missing or invalid            | 500    | ConfigurationError       |
 * | function produced a bad signalR output    | 500    | InvalidSignalROutput     |
 * | anything else                             | 500    | InternalError            |
 */
export function toErrorResponse(error: unknown, context?: InvocationContext): HttpResponseInit {
  const { response, log } = classify(error, context?.invocationId);
  if (context !== undefined) {
    const status = response.status ?? 500;
    // The host already tags each log line with the function name.
    const line = `HTTP ${status}: ${log}`;
    if (status >= 500) context.error(line);
    else context.warn(line);
  }
  return response;
}

interface Classified {
  response: HttpResponseInit;
  /** Detailed, secret-free text for the function log. */
  log: string;
}

function classify(error: unknown, invocationId: string | undefined): Classified {
  if (error instanceof HttpError) return { response: error.toResponse(), log: error.message };

  // Every endpoint failed (e.g. a negotiate whose token no endpoint could make): answered as the first failure,
  // logged with all of them.
  if (error instanceof SignalREndpointsError && !error.partial && error.failures.length > 0) {
    return { response: classify(error.failures[0]!.error, invocationId).response, log: error.message };
  }

  if (error instanceof SignalRSendError) {
    const inner = classifyRestFailure(error.cause, error.index === undefined ? undefined : `[${error.index}]`);
    if (inner !== undefined) return { response: inner, log: error.message };
    return internal(error, invocationId);
  }

  const rest = classifyRestFailure(error, undefined);
  if (rest !== undefined) return { response: rest, log: error instanceof Error ? error.message : String(error) };

  if (error instanceof TokenError) {
    // What goes into a client token comes from the request (user id, id-token claims): too much of it is the
    // caller's mistake. The message names the limit, never the token.
    return { response: errorResponse(400, 'InvalidTokenRequest', error.message), log: error.message };
  }
  if (error instanceof EntraAuthError) {
    return {
      response: errorResponse(503, 'SignalRAuthUnavailable', 'could not authenticate to the SignalR Service with Microsoft Entra ID; see the function logs'),
      log: error.message,
    };
  }
  if (error instanceof ConfigError) {
    const key = error.key === undefined ? '' : ` (connection string key '${error.key}')`;
    return {
      response: errorResponse(500, 'ConfigurationError', `app setting '${error.setting}' is missing or invalid${key}; see the function logs`, error.setting),
      log: error.message,
    };
  }
  if (error instanceof MissingAppSettingError) {
    return {
      response: errorResponse(500, 'ConfigurationError', `app setting '${error.setting}' is not set`, error.setting),
      log: error.message,
    };
  }
  if (error instanceof SignalRInputError) {
    return error.fromRequest
      ? { response: errorResponse(400, 'InvalidBindingValue', error.message, error.property), log: error.message }
      : { response: errorResponse(500, 'BindingConfigurationError', error.message, error.property), log: error.message };
  }
  if (error instanceof ExpressionSyntaxError) {
    return { response: errorResponse(500, 'BindingConfigurationError', error.message), log: error.message };
  }
  if (error instanceof SignalROutputValidationError) {
    return { response: errorResponse(500, 'InvalidSignalROutput', error.message, error.path), log: error.message };
  }
  return internal(error, invocationId);
}

/** Which endpoints a partial failure names to the caller: names only; URLs and causes go to the log. */
function endpointNames(endpoints: SignalREndpointsError['succeeded']): string {
  return endpoints.map((e) => (e.name === '' ? '(default)' : `'${e.name}'`)).join(', ');
}

/** Maps the REST layer's errors; undefined when `error` is not one of them. */
function classifyRestFailure(error: unknown, field: string | undefined): HttpResponseInit | undefined {
  if (error instanceof SignalREndpointsError) {
    if (!error.partial) return classifyRestFailure(error.failures[0]?.error, field);
    // Not a 503/504: those invite a retry, which would repeat the call where it succeeded (a message twice).
    const total = error.failures.length + error.succeeded.length;
    const failed = endpointNames(error.failures.map((failure) => failure.endpoint));
    return errorResponse(
      502,
      'SignalRPartialFailure',
      `the call succeeded on ${error.succeeded.length} of ${total} SignalR Service endpoints and failed on ${failed}; clients of the failed endpoints may have missed it, and repeating it would repeat it on the others (details in the function logs)`,
      field,
    );
  }
  if (error instanceof EndpointRoutingError) {
    return errorResponse(500, 'SignalRRoutingError', error.message, field);
  }
  if (error instanceof SignalRServiceError) {
    const code = error.errorCode === undefined ? '' : ` (${error.errorCode})`;
    if (error.status === 404) {
      return errorResponse(404, 'SignalRNotFound', `the SignalR Service did not find the target${code}`, field);
    }
    if (error.status === 413) {
      return errorResponse(413, 'PayloadTooLarge', 'the message is larger than the SignalR Service accepts (1 MB)', field);
    }
    // The service itself (or its gateway) saying it is unavailable / timed out is the same situation as
    // not reaching it: the caller gets the 503 / 504 it can retry on, not a 502 "rejected".
    if (error.status === 503) {
      return errorResponse(503, 'SignalRServiceUnavailable', 'the SignalR Service is unavailable (HTTP 503)', field);
    }
    if (error.status === 429) {
      // The service throttles (past its unit's capacity): the caller backs off as the service asked, or for a second.
      return retryAfter(errorResponse(503, 'SignalRServiceBusy', 'the SignalR Service is throttling this app (HTTP 429); retry shortly', field), 1);
    }
    if (error.status === 504) {
      return errorResponse(504, 'SignalRServiceTimeout', 'the SignalR Service did not answer in time (HTTP 504)', field);
    }
    return errorResponse(502, 'SignalRServiceRejected', `the SignalR Service rejected the request with HTTP ${error.status}${code}`, field);
  }
  if (error instanceof SignalRNetworkError) {
    return errorResponse(503, 'SignalRServiceUnavailable', 'the SignalR Service could not be reached', field);
  }
  if (error instanceof SignalRTimeoutError) {
    return errorResponse(504, 'SignalRServiceTimeout', 'the SignalR Service did not answer in time', field);
  }
  if (error instanceof SignalRBusyError) {
    // Refused before sending: past capacity the caller hears so at once and may come back shortly.
    return retryAfter(errorResponse(503, 'SignalRServiceBusy', 'the SignalR Service is slower than the load on this app; retry shortly', field), 1);
  }
  if (error instanceof PayloadTooLargeError) {
    // Refused locally before upload: the same situation, and the same answer, as the service's own 413.
    return errorResponse(413, 'PayloadTooLarge', 'the message is larger than the SignalR Service accepts (1 MB)', field ?? error.parameter);
  }
  if (error instanceof ServiceRuleError) {
    return errorResponse(400, 'InvalidArgument', error.message, field ?? error.parameter);
  }
  return undefined;
}

function retryAfter(response: HttpResponseInit, seconds: number): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string> | undefined), 'retry-after': String(seconds) } };
}

function internal(error: unknown, invocationId: string | undefined): Classified {
  const reference = invocationId ? ` (invocation ${invocationId})` : '';
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    response: errorResponse(500, 'InternalError', `an unexpected error occurred${reference}`),
    log: detail,
  };
}
