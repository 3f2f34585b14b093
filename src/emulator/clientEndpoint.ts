import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { negotiateErrorBody } from '../contract';
import { createClientAuthenticator, sessionProblem, type ClientAuthenticator } from './clientAuthentication';
import { ClientConnection, ConnectionHost, ConnectionLimits } from './clientConnection';
import type { Clock } from './clock';
import { HubState } from './hubState';
import { randomId } from './randomId';
import { refuseUpgrade, replyJson, replyText } from './httpReplies';
import { acceptsEventStream, longPoll, receiveSend, startServerSentEvents, type HttpTransportOptions } from './httpTransportRequests';
import type { ConnectionDescription, Session } from './session';
import type { UpstreamDispatcher } from './upstream/upstreamDispatcher';
import { LongPollingTransport } from './transports/longPollingTransport';
import { WebSocketTransport } from './transports/webSocketTransport';

export interface ClientEndpointOptions {
  hubState: HubState;
  accessKey: string;
  limits: ConnectionLimits;
  /** How long a long poll waits for data before answering empty (the service: about 90 s). */
  longPollTimeoutMs: number;
  clock: Clock;
  /** Where client events go in serverless mode with upstream. */
  upstream?: UpstreamDispatcher;
  log(line: string): void;
}

const AVAILABLE_TRANSPORTS = [
  { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
  { transport: 'ServerSentEvents', transferFormats: ['Text'] },
  { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
];



/**
 * The client side of the service at `/client/?hub=<hub>`: negotiate, then WebSockets, Server-Sent
 * Events or long polling on the same path with `id=<connectionToken>`.
 */
export class ClientEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 0 });
  private readonly host: ConnectionHost;
  private readonly clock: Clock;
  private readonly httpOptions: HttpTransportOptions;
  private readonly sweepMs: number;
  private readonly authenticate: ClientAuthenticator;
  private cancelSweep: () => void;

  constructor(private readonly options: ClientEndpointOptions) {
    this.wss.options.maxPayload = options.limits.maxMessageBytes;
    this.clock = options.clock;
    this.authenticate = createClientAuthenticator(options.accessKey, options.clock);
    this.httpOptions = { limits: options.limits, longPollTimeoutMs: options.longPollTimeoutMs, clock: options.clock };
    this.host = {
      hubState: options.hubState,
      limits: options.limits,
      clock: options.clock,
      ...(options.upstream === undefined ? {} : { upstream: options.upstream }),
      log: options.log,
      finished: (connection) => {
        const session = this.sessions.get(connection.connectionToken);
        if (session?.connection === connection) this.sessions.delete(connection.connectionToken);
      },
    };
    const { keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs } = options.limits;
    this.sweepMs = Math.max(5, Math.min(1000, Math.floor(Math.min(keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs) / 4)));
    this.cancelSweep = this.clock.schedule(() => this.sweep(), this.sweepMs);
  }

  /** Connections known to the endpoint, negotiated or live (tests check it drops to 0). */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** What the endpoint knows about a live connection (tests, diagnostics). */
  describe(connectionId: string): ConnectionDescription | undefined {
    for (const { connection } of this.sessions.values()) {
      if (connection.connectionId === connectionId) {
        return { hub: connection.hub, userId: connection.userId, transport: connection.transportName, protocol: connection.protocolName };
      }
    }
    return undefined;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const path = url.pathname;
    if (path === '/client/negotiate' || path === '/client/negotiate/') {
      this.negotiate(req, res, url);
      return;
    }
    if (path === '/client' || path === '/client/') {
      this.transportRequest(req, res, url);
      return;
    }
    replyJson(res, 404, negotiateErrorBody(`No route for ${path}.`));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (url.pathname !== '/client' && url.pathname !== '/client/') {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const auth = this.authenticate(req, url);
    if (!auth.ok) {
      refuseUpgrade(socket, auth.status, auth.error, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      return;
    }
    const id = url.searchParams.get('id');
    let session: Session | undefined;
    if (id === null) {
      // skipNegotiation: a WebSocket client may connect directly with its token.
      session = this.createSession(auth.hub, auth.userId, auth.claims);
    } else {
      session = this.sessions.get(id);
      const problem = sessionProblem(session, auth);
      if (problem) {
        refuseUpgrade(socket, problem.status, problem.error);
        return;
      }
    }
    if (session?.connection.isClosed) {
      refuseUpgrade(socket, 404, 'No Connection with that ID');
      return;
    }
    if (!session || session.transport) {
      refuseUpgrade(socket, 409, 'Connection already has a transport.');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.openWebSocket(session, ws, socket, url.searchParams));
  }

  /**
   * Binds an upgraded WebSocket to its session. A method of its own so that nothing the connection keeps for its
   * lifetime closes over the upgrade request and its URL (memory).
   */
  private openWebSocket(session: Session, ws: WebSocket, socket: Duplex, query: URLSearchParams): void {
    if (session.transport || session.connection.isClosed) {
      ws.terminate();
      return;
    }
    const transport = new WebSocketTransport(ws, socket, session.connection, this.clock);
    session.transport = transport;
    session.connection.attach(transport, this.clock.now(), query);
  }

  /**
   * Closes every connection with a Close message (shutdown). Like an ASP.NET Core server that stops,
   * it allows reconnecting, so clients with automatic reconnect come back once the service is up again.
   */
  closeAll(reason: string): void {
    for (const session of [...this.sessions.values()]) session.connection.close(reason, true);
  }

  /** Cuts every remaining connection at once. */
  abortAll(): void {
    for (const session of [...this.sessions.values()]) session.connection.abort();
    this.sessions.clear();
  }

  dispose(): void {
    this.cancelSweep();
    this.abortAll();
    this.wss.close();
  }

  /** One pass of keep-alive and timeout checks over every connection, then the next pass is scheduled. */
  private sweep(): void {
    const now = this.clock.now();
    for (const session of this.sessions.values()) session.connection.tick(now);
    this.cancelSweep = this.clock.schedule(() => this.sweep(), this.sweepMs);
  }

  private createSession(hub: string, userId: string | undefined, claims: Record<string, unknown>, negotiateVersion = 1): Session {
    const connectionId = randomId(16);
    // Negotiate v0 has no separate token: the connection id is used on the transport requests.
    const connectionToken = negotiateVersion >= 1 ? randomId(24) : connectionId;
    const connection = new ClientConnection(this.host, hub, connectionId, connectionToken, userId, claims, this.clock.now());
    const session: Session = { connection, transport: undefined };
    this.sessions.set(connectionToken, session);
    return session;
  }

  private negotiate(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'POST') {
      replyJson(res, 405, negotiateErrorBody('Negotiate requires POST.'), { Allow: 'POST' });
      return;
    }
    const auth = this.authenticate(req, url);
    if (!auth.ok) {
      replyJson(res, auth.status, negotiateErrorBody(auth.error), auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      return;
    }
    const versionParam = url.searchParams.get('negotiateVersion');
    const version = versionParam === null ? 0 : Number(versionParam);
    if (!Number.isInteger(version) || version < 0) {
      replyJson(res, 400, negotiateErrorBody(`The client requested an invalid protocol version '${versionParam}'.`));
      return;
    }
    // Drain (and ignore) any body so keep-alive sockets stay usable.
    req.resume();
    const session = this.createSession(auth.hub, auth.userId, auth.claims, version);
    const { connectionId, connectionToken } = session.connection;
    this.options.log(`negotiated connection ${connectionId} on hub ${auth.hub}${auth.userId !== undefined ? ` for user ${auth.userId}` : ''}`);
    if (version >= 1) {
      replyJson(res, 200, { negotiateVersion: 1, connectionId, connectionToken, availableTransports: AVAILABLE_TRANSPORTS });
    } else {
      replyJson(res, 200, { connectionId, availableTransports: AVAILABLE_TRANSPORTS });
    }
  }

  private transportRequest(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const auth = this.authenticate(req, url);
    if (!auth.ok) {
      replyText(res, auth.status, auth.error, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      return;
    }
    const id = url.searchParams.get('id');
    if (id === null || id === '') {
      replyText(res, 400, 'Connection ID required');
      return;
    }
    const session = this.sessions.get(id);
    const problem = sessionProblem(session, auth);
    if (problem || !session) {
      replyText(res, problem?.status ?? 404, problem?.error ?? 'No Connection with that ID');
      return;
    }
    switch (req.method) {
      case 'GET':
        if (acceptsEventStream(req)) startServerSentEvents(req, res, session, this.clock);
        else longPoll(res, session, this.httpOptions, url.searchParams);
        return;
      case 'POST':
        receiveSend(req, res, session, this.httpOptions);
        return;
      case 'DELETE':
        if (session.transport instanceof LongPollingTransport) {
          session.transport.deleteRequested();
          replyText(res, 202, '');
        } else {
          replyText(res, 400, 'Cannot terminate this connection using the DELETE endpoint.');
        }
        return;
      default:
        replyText(res, 405, `Method ${req.method ?? ''} is not allowed here.`, { Allow: 'GET, POST, DELETE' });
    }
  }


}
