/**
 * The emulator's REST API entry point: every `/api/...` request of the HTTP server lands here.
 * Order of checks: route (anonymous health first) -> bearer token -> 404/405 -> names and query -> body
 * -> the hub-state operation. Every failure becomes a JSON error response; nothing escapes as an
 * exception, and no stack trace or secret reaches a response or a log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../clock';
import type { HubMessage, ServiceCore } from '../serviceCore';
import { isBinaryRestBody, MAX_REST_BODY_BYTES, REST_OPERATIONS, RequestErrorCodes, type RestOperation } from '../../contract';
import { parseBinaryHubMessage } from './binaryBody';
import { parseHubMessage, readBody } from './body';
import { DeliveryTurns } from './deliveryTurns';
import { RestError, writeError, writeSuccess } from './errors';
import { REST_HANDLERS } from './handlers';
import { createRestAuthenticator } from './restAuthentication';
import { hubKey, parseQueryOptions, splitPath, validatePathParams } from './requestParams';
import { matchRoute } from './routes';

export interface RestHandlerOptions {
  core: ServiceCore;
  accessKey: string;
  /** Largest accepted request body; default 1 MB like the service. */
  maxBodyBytes?: number;
  /** Time for token expiry checks; default the system clock. */
  clock?: Clock;
  /** Where failures are reported; default console.error. Receives no secrets. */
  log?: (message: string) => void;
}

export type RestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** After a 413 we discard (never buffer) what the client still sends, up to this many times the limit. */
const DISCARD_FACTOR = 8;

export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REST_BODY_BYTES;
  const log = options.log ?? ((message: string) => console.error(message));
  const authenticate = createRestAuthenticator(options.accessKey, options.clock ?? systemClock);
  const deliveryTurns = new DeliveryTurns();

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
    let message: HubMessage | undefined;
    if (operation.body) {
      const body = await readBody(req, maxBodyBytes);
      message = isBinaryRestBody(req.headers['content-type']) ? parseBinaryHubMessage(body) : parseHubMessage(body);
    }

    const found = await deliveryTurns.run(() =>
      REST_HANDLERS[match.operation]({
        core: options.core,
        hub: match.params.hub === undefined ? '' : hubKey(match.params.hub, query.application),
        params: match.params,
        excluded: query.excluded,
        reason: query.reason,
        ttlSeconds: query.ttlSeconds,
        message,
      }),
    );
    if (!found && operation.notFound) {
      throw new RestError(404, operation.notFound.errorCode, operation.notFound.message);
    }
    writeSuccess(res, match.family === 'v1' ? (operation.successV1 ?? operation.success) : operation.success);
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
