/**
 * The emulator's REST API entry point: every `/api/...` request of the HTTP server lands here.
 * Order of checks: route (anonymous health first) -> bearer token -> 404/405 -> names and query -> body
 * -> the hub-state operation. Every failure becomes a JSON error response; nothing escapes as an
 * exception, and no stack trace or secret reaches a response or a log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptedRestAudiences, bearerToken, verifyServiceToken } from '../auth';
import type { HubMessage, ServiceCore } from '../serviceCore';
import { MAX_REST_BODY_BYTES, REST_OPERATIONS, RequestErrorCodes, type RestOperation } from '../../contract';
import { parseHubMessage, readBody } from './body';
import { RestError, writeError, writeSuccess } from './errors';
import { REST_HANDLERS } from './handlers';
import { hubKey, parseQueryOptions, splitPath, validatePathParams } from './requestParams';
import { matchRoute } from './routes';

export interface RestHandlerOptions {
  core: ServiceCore;
  accessKey: string;
  /** Largest accepted request body; default 1 MB like the service. */
  maxBodyBytes?: number;
  /** Where failures are reported; default console.error. Receives no secrets. */
  log?: (message: string) => void;
}

export type RestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** After a 413 we discard (never buffer) what the client still sends, up to this many times the limit. */
const DISCARD_FACTOR = 8;

export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REST_BODY_BYTES;
  const log = options.log ?? ((message: string) => console.error(message));
  /**
   * Tokens that passed verification, keyed by (token, Host, URL), with their expiry in ms. A client reuses one
   * REST token for many calls (the SDK and our client cache them), and a full check (HMAC plus every accepted
   * audience form) was ~15% of the emulator's CPU per REST call. The outcome depends only on that key, the
   * AccessKey and the clock, so a hit before `exp` gives the same answer; failures are never cached.
   */
  const verified = new Map<string, number>();

  return (req, res) => {
    handle(req, res)
      .catch((error: unknown) => {
        if (error instanceof RestError) {
          respondWithError(req, res, error);
          return;
        }
        // Only the error's name and message: its stack stays out of the response; the query (where a
        // misplaced access_token could be) stays out of the log.
        const path = (req.url ?? '').split('?')[0];
        const description = error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error value thrown';
        log(`[emulator rest] ${req.method ?? '?'} ${truncate(path)} failed: ${description}`);
        respondWithError(req, res, new RestError(500, RequestErrorCodes.internal, 'The emulator failed to process the request.'));
      })
      // Last line of defence (a throwing logger, a broken socket): never an unhandled rejection.
      .catch(() => {
        if (!res.destroyed) res.destroy();
      });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);

    const match = matchRoute(method, splitPath(rawPath));
    const anonymous = match.kind === 'operation' && (REST_OPERATIONS[match.operation] as RestOperation).anonymous === true;
    if (!anonymous) authenticate(req, url);

    if (match.kind === 'notFound') {
      throw new RestError(404, RequestErrorCodes.notFound, `No REST API operation at ${method} ${truncate(rawPath)}.`, 'path');
    }
    if (match.kind === 'methodNotAllowed') {
      throw new RestError(405, RequestErrorCodes.methodNotAllowed, `Method ${method} is not allowed here; use ${match.allowed.join(', ')}.`, 'method', {
        Allow: match.allowed.join(', '),
      });
    }

    const operation: RestOperation = REST_OPERATIONS[match.operation];
    validatePathParams(match.params);
    const query = parseQueryOptions(rawQuery, match.family === '2022-06-01');
    const message: HubMessage | undefined = operation.body
      ? parseHubMessage(await readBody(req, maxBodyBytes))
      : undefined;

    const found = REST_HANDLERS[match.operation]({
      core: options.core,
      hub: match.params.hub === undefined ? '' : hubKey(match.params.hub, query.application),
      params: match.params,
      excluded: query.excluded,
      reason: query.reason,
      ttlSeconds: query.ttlSeconds,
      message,
    });
    if (!found && operation.notFound) {
      throw new RestError(404, operation.notFound.errorCode, operation.notFound.message);
    }
    writeSuccess(res, match.family === 'v1' ? (operation.successV1 ?? operation.success) : operation.success);
  }


  function authenticate(req: IncomingMessage, url: string): void {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      throw unauthorized('An "Authorization: Bearer <token>" header is required.');
    }
    const cacheKey = `${token}\u0000${req.headers.host ?? ''}\u0000${url}`;
    const expiresAtMs = verified.get(cacheKey);
    if (expiresAtMs !== undefined && expiresAtMs > Date.now()) return;
    const result = verifyServiceToken(token, options.accessKey, acceptedRestAudiences(url, req.headers.host));
    if (!result.ok) {
      verified.delete(cacheKey);
      throw unauthorized(result.reason);
    }
    if (typeof result.claims.exp === 'number') {
      if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
      verified.set(cacheKey, result.claims.exp * 1000);
    }
  }

  function respondWithError(req: IncomingMessage, res: ServerResponse, error: RestError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeError(res, req.method === 'HEAD', error);
    if (error.status === 413) discardRest(req, maxBodyBytes * DISCARD_FACTOR);
  }
}

/** Bound on the verified-token cache; cleared whole when full (cheap, and a miss only costs a re-check). */
const MAX_VERIFIED_TOKENS = 1000;

function unauthorized(reason: string): RestError {
  return new RestError(401, RequestErrorCodes.unauthorized, `Unauthorized: ${reason}`, 'Authorization', {
    'WWW-Authenticate': 'Bearer',
  });
}

/**
 * Lets the client finish sending so it can read the 413, throwing the bytes away; a client that keeps
 * sending far beyond the limit gets its connection closed.
 */
function discardRest(req: IncomingMessage, maxDiscard: number): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxDiscard) req.socket.destroy();
  });
  req.resume();
}

function truncate(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}...` : value;
}
