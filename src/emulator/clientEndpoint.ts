import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { acceptedClientAudiences, bearerToken, verifyServiceToken } from './auth';
import { ClientConnection, ConnectionHost, ConnectionLimits } from './clientConnection';
import { HubState } from './hubState';
import { refuseUpgrade, replyJson, replyText } from './httpReplies';
import { ClientTransport } from './transports/clientTransport';
import { LongPollingTransport } from './transports/longPollingTransport';
import { ServerSentEventsTransport } from './transports/serverSentEventsTransport';
import { WebSocketTransport } from './transports/webSocketTransport';
import { HUB_NAME_RULE, isValidHubName, userIdFromClaims } from '../contract';

export interface ClientEndpointOptions {
  hubState: HubState;
  accessKey: string;
  limits: ConnectionLimits;
  /** How long a long poll waits for data before answering empty (the service: about 90 s). */
  longPollTimeoutMs: number;
  log(line: string): void;
}

const AVAILABLE_TRANSPORTS = [
  { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
  { transport: 'ServerSentEvents', transferFormats: ['Text'] },
  { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
];


export interface ConnectionDescription {
  hub: string;
  userId: string | undefined;
  transport: string | undefined;
  protocol: string | undefined;
}

interface Session {
  connection: ClientConnection;
  transport: ClientTransport | undefined;
}

type Authenticated = { ok: true; hub: string; userId: string | undefined; claims: Record<string, unknown> } | { ok: false; status: number; error: string };

function newId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('text/event-stream');
}

/**
 * The client side of the service at `/client/?hub=<hub>`: negotiate, then WebSockets, Server-Sent
 * Events or long polling on the same path with `id=<connectionToken>`.
 */
export class ClientEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 0 });
  private readonly host: ConnectionHost;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly options: ClientEndpointOptions) {
    this.wss.options.maxPayload = options.limits.maxMessageBytes;
    this.host = {
      hubState: options.hubState,
      limits: options.limits,
      log: options.log,
      finished: (connection) => {
        const session = this.sessions.get(connection.connectionToken);
        if (session?.connection === connection) this.sessions.delete(connection.connectionToken);
      },
    };
    const { keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs } = options.limits;
    const sweepMs = Math.max(5, Math.min(1000, Math.floor(Math.min(keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs) / 4)));
    this.sweep = setInterval(() => this.tick(), sweepMs);
    this.sweep.unref();
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
    replyJson(res, 404, { error: `No route for ${path}.` });
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
      const problem = this.sessionProblem(session, auth);
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
    const chosen = session;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (chosen.transport || chosen.connection.isClosed) {
        ws.terminate();
        return;
      }
      const transport = new WebSocketTransport(ws, socket, {
        onData: (data) => chosen.connection.receive(data, Date.now()),
        onFinished: () => chosen.connection.transportFinished(),
      });
      chosen.transport = transport;
      chosen.connection.attach(transport, Date.now());
    });
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
    clearInterval(this.sweep);
    this.abortAll();
    this.wss.close();
  }

  private tick(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) session.connection.tick(now);
  }

  private createSession(hub: string, userId: string | undefined, claims: Record<string, unknown>, negotiateVersion = 1): Session {
    const connectionId = newId(16);
    // Negotiate v0 has no separate token: the connection id is used on the transport requests.
    const connectionToken = negotiateVersion >= 1 ? newId(24) : connectionId;
    const connection = new ClientConnection(this.host, hub, connectionId, connectionToken, userId, claims, Date.now());
    const session: Session = { connection, transport: undefined };
    this.sessions.set(connectionToken, session);
    return session;
  }

  private authenticate(req: IncomingMessage, url: URL): Authenticated {
    const hubParam = url.searchParams.get('hub');
    if (hubParam === null || hubParam === '') return { ok: false, status: 400, error: "The 'hub' query parameter is required." };
    if (!isValidHubName(hubParam)) {
      return { ok: false, status: 400, error: `The 'hub' query parameter is not a valid hub name: ${HUB_NAME_RULE}.` };
    }
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
    if (!token) return { ok: false, status: 401, error: 'Unauthorized: no access token (Authorization: Bearer header or access_token query).' };
    const verified = verifyServiceToken(token, this.options.accessKey, acceptedClientAudiences(req.headers.host, hubParam));
    if (!verified.ok) return { ok: false, status: 401, error: `Unauthorized: ${verified.reason}.` };
    return { ok: true, hub: hubParam.toLowerCase(), userId: userIdFromClaims(verified.claims), claims: verified.claims };
  }

  /** Why a transport request may not use this session, or undefined when it may. */
  private sessionProblem(session: Session | undefined, auth: Authenticated & { ok: true }): { status: number; error: string } | undefined {
    // A closed long-polling connection stays known until its last poll has fetched the Close message.
    if (!session || session.connection.hub !== auth.hub) {
      return { status: 404, error: 'No Connection with that ID' };
    }
    // The token of every request must name the user the connection was negotiated for.
    if (session.connection.userId !== auth.userId) return { status: 403, error: 'Forbidden: the access token names another user.' };
    return undefined;
  }

  private negotiate(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'POST') {
      replyJson(res, 405, { error: 'Negotiate requires POST.' }, { Allow: 'POST' });
      return;
    }
    const auth = this.authenticate(req, url);
    if (!auth.ok) {
      replyJson(res, auth.status, { error: auth.error }, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      return;
    }
    const versionParam = url.searchParams.get('negotiateVersion');
    const version = versionParam === null ? 0 : Number(versionParam);
    if (!Number.isInteger(version) || version < 0) {
      replyJson(res, 400, { error: `The client requested an invalid protocol version '${versionParam}'.` });
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
    const problem = this.sessionProblem(session, auth);
    if (problem || !session) {
      replyText(res, problem?.status ?? 404, problem?.error ?? 'No Connection with that ID');
      return;
    }
    switch (req.method) {
      case 'GET':
        if (acceptsEventStream(req)) this.startServerSentEvents(req, res, session);
        else this.longPoll(res, session);
        return;
      case 'POST':
        this.receiveSend(req, res, session);
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

  private startServerSentEvents(req: IncomingMessage, res: ServerResponse, session: Session): void {
    if (session.connection.isClosed) {
      replyText(res, 404, 'No Connection with that ID');
      return;
    }
    if (session.transport) {
      const status = session.transport instanceof ServerSentEventsTransport ? 409 : 400;
      replyText(res, status, status === 409 ? 'Connection already has an event stream.' : 'Cannot change transports mid-connection.');
      return;
    }
    const transport = new ServerSentEventsTransport(req, res, { onFinished: () => session.connection.transportFinished() });
    session.transport = transport;
    session.connection.attach(transport, Date.now());
  }

  private longPoll(res: ServerResponse, session: Session): void {
    const now = Date.now();
    if (!session.transport) {
      if (session.connection.isClosed) {
        replyText(res, 404, 'No Connection with that ID');
        return;
      }
      const limits = this.options.limits;
      const transport = new LongPollingTransport(this.options.longPollTimeoutMs, limits.disconnectTimeoutMs, () => session.connection.transportFinished(), now);
      session.transport = transport;
      session.connection.attach(transport, now);
      transport.handlePoll(res, true, now);
      return;
    }
    if (!(session.transport instanceof LongPollingTransport)) {
      replyText(res, 400, 'Cannot change transports mid-connection.');
      return;
    }
    if (!session.transport.handlePoll(res, false, now)) replyText(res, 409, 'A poll is already pending for this connection.');
  }

  private receiveSend(req: IncomingMessage, res: ServerResponse, session: Session): void {
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
    const limit = this.options.limits.maxMessageBytes;
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
      session.connection.receive(Buffer.concat(chunks, size), Date.now());
      replyText(res, 200, '');
    });
    req.on('error', () => undefined);
  }
}
