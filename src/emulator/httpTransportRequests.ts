/**
 * The client endpoint's plain-HTTP transports on `/client/?hub=..&id=..`: GET with `Accept: text/event-stream`
 * opens Server-Sent Events, other GETs are long polls, POSTs carry client data for both, DELETE ends a long
 * polling connection (answered in clientEndpoint.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionLimits } from './clientConnection';
import type { Clock } from './clock';
import { replyText } from './httpReplies';
import type { Session } from './session';
import { LongPollingTransport } from './transports/longPollingTransport';
import { ServerSentEventsTransport } from './transports/serverSentEventsTransport';
import { WebSocketTransport } from './transports/webSocketTransport';

export interface HttpTransportOptions {
  limits: ConnectionLimits;
  /** How long a long poll waits for data before answering empty. */
  longPollTimeoutMs: number;
  clock: Clock;
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://emulator.invalid').searchParams;
}

export function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('text/event-stream');
}

export function startServerSentEvents(req: IncomingMessage, res: ServerResponse, session: Session, clock: Clock): void {
  if (session.connection.isClosed) {
    replyText(res, 404, 'No Connection with that ID');
    return;
  }
  if (session.transport) {
    const status = session.transport instanceof ServerSentEventsTransport ? 409 : 400;
    replyText(res, status, status === 409 ? 'Connection already has an event stream.' : 'Cannot change transports mid-connection.');
    return;
  }
  const transport = new ServerSentEventsTransport(req, res, session.connection);
  session.transport = transport;
  session.connection.attach(transport, clock.now(), queryOf(req));
}

export function longPoll(res: ServerResponse, session: Session, options: HttpTransportOptions, query: URLSearchParams): void {
  const now = options.clock.now();
  if (!session.transport) {
    if (session.connection.isClosed) {
      replyText(res, 404, 'No Connection with that ID');
      return;
    }
    const transport = new LongPollingTransport(options.longPollTimeoutMs, options.limits.disconnectTimeoutMs, () => session.connection.transportFinished(), options.clock);
    session.transport = transport;
    session.connection.attach(transport, now, query);
    transport.handlePoll(res, true, now);
    return;
  }
  if (!(session.transport instanceof LongPollingTransport)) {
    replyText(res, 400, 'Cannot change transports mid-connection.');
    return;
  }
  if (!session.transport.handlePoll(res, false, now)) replyText(res, 409, 'A poll is already pending for this connection.');
}

export function receiveSend(req: IncomingMessage, res: ServerResponse, session: Session, options: HttpTransportOptions): void {
  if (session.connection.isClosed) {
    replyText(res, 404, 'No Connection with that ID');
    return;
  }
  if (!session.transport) {
    replyText(res, 400, 'The connection has no transport yet; open it before sending.');
    return;
  }
  if (session.transport instanceof WebSocketTransport) {
    replyText(res, 405, 'POST requests are not allowed for WebSocket connections.', { Allow: 'GET' });
    return;
  }
  const limit = options.limits.maxMessageBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > limit) {
      refused = true;
      chunks.length = 0;
      replyText(res, 413, `The message exceeds the maximum message size of ${limit} bytes.`, { Connection: 'close' });
      session.connection.close(`Connection closed with an error. The message exceeds the maximum message size of ${limit} bytes.`);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    if (session.connection.isClosed) {
      replyText(res, 404, 'No Connection with that ID');
      return;
    }
    session.connection.receive(Buffer.concat(chunks, size), options.clock.now());
    replyText(res, 200, '');
  });
  req.on('error', () => undefined);
}
