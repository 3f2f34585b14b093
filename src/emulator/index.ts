import http from 'node:http';
import { MAX_CLIENT_MESSAGE_BYTES, negotiateErrorBody } from '../contract';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from './clock';
import { createUpstream, type UpstreamOptions } from './upstream';
import { ClientEndpoint } from './clientEndpoint';
import type { ConnectionDescription } from './session';
import { ConnectionLimits } from './clientConnection';
import { answerPreflight, applyCorsHeaders, isPreflight } from './cors';
import { HubState, HubStateStats } from './hubState';
import { refuseUpgrade, replyJson } from './httpReplies';
import { createRestHandler } from './rest';
import { ServiceCore } from './serviceCore';

/** The official emulator's well-known key (public: it is printed by the official emulator too). */
export const DEFAULT_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = '127.0.0.1';

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  accessKey?: string;
  /** Ping idle clients this often (service: 15 s). */
  keepAliveIntervalMs?: number;
  /** Drop clients silent for this long (service: 30 s). */
  clientTimeoutMs?: number;
  /** A long poll without data answers after this (service: about 90 s). */
  longPollTimeoutMs?: number;
  /** Time allowed between transport start and handshake (15 s). */
  handshakeTimeoutMs?: number;
  /** Largest message a client may send (1 MB). */
  maxClientMessageBytes?: number;
  /** Outbound bytes queued for one slow client before it is dropped (8 MB). */
  maxOutboundBufferBytes?: number;
  log?: (line: string) => void;
  /** Time for expiries and timeouts; default the system clock (tests inject a fake one). */
  clock?: Clock;
  /** Serverless upstream: where client events go (settings file, URL templates, timeout). None: not forwarded. */
  upstream?: UpstreamOptions;
}

export interface RunningEmulator {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** What an app puts into AzureSignalRConnectionString to use this emulator (`Endpoint=...;Port=...;`). */
  connectionString: string;
  /**
   * The same with the port inside `Endpoint` (`Endpoint=http://host:port;...`): the form Dapr's
   * bindings.azure.signalr needs, as it ignores `Port=`. The SDKs and this project accept both.
   */
  connectionStringPortInEndpoint: string;
  core: ServiceCore & {
    connectionCount(hub?: string): number;
    stats(): HubStateStats;
  };
  /** Connections the client endpoint knows (negotiated, live, or delivering their last messages). */
  sessionCount(): number;
  /** Hub, user, transport and protocol of a connection the endpoint knows (linear scan: diagnostics only). */
  describeConnection(connectionId: string): ConnectionDescription | undefined;
  /** The upstream templates in use, in one line; undefined when no upstream is configured. */
  describeUpstream(): string | undefined;
  close(): Promise<void>;
}

/** Sockets still open this long after close() starts are destroyed. */
const SHUTDOWN_GRACE_MS = 500;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

/** The emulator's connection string, with `Port=` (as the official emulator prints it) or the port inside `Endpoint`. */
export function buildConnectionString(host: string, port: number, accessKey: string, portInEndpoint = false): string {
  const endpoint = portInEndpoint ? `Endpoint=http://${host}:${port}` : `Endpoint=http://${host};Port=${port}`;
  return `${endpoint};AccessKey=${accessKey};Version=1.0;`;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${requestedPort}`);
  }
  const accessKey = options.accessKey ?? DEFAULT_ACCESS_KEY;
  if (accessKey === '') throw new RangeError('accessKey must not be empty');
  const log = options.log ?? ((): void => undefined);
  const clientTimeoutMs = positive(options.clientTimeoutMs, 30_000, 'clientTimeoutMs');
  const limits: ConnectionLimits = {
    keepAliveIntervalMs: positive(options.keepAliveIntervalMs, 15_000, 'keepAliveIntervalMs'),
    clientTimeoutMs,
    handshakeTimeoutMs: positive(options.handshakeTimeoutMs, 15_000, 'handshakeTimeoutMs'),
    disconnectTimeoutMs: clientTimeoutMs,
    maxMessageBytes: positive(options.maxClientMessageBytes, MAX_CLIENT_MESSAGE_BYTES, 'maxClientMessageBytes'),
    maxOutboundBytes: positive(options.maxOutboundBufferBytes, 8 * 1024 * 1024, 'maxOutboundBufferBytes'),
  };

  const clock = options.clock ?? systemClock;
  const hubState = new HubState(clock);
  const upstream = options.upstream === undefined ? undefined : createUpstream(options.upstream, [accessKey]);
  const endpoint = new ClientEndpoint({
    ...(upstream === undefined ? {} : { upstream: upstream.dispatcher }),
    hubState,
    accessKey,
    limits,
    longPollTimeoutMs: positive(options.longPollTimeoutMs, 90_000, 'longPollTimeoutMs'),
    clock,
    log,
  });
  const rest = createRestHandler({ core: hubState, accessKey, log, clock });

  const server = http.createServer((req, res) => {
    try {
      applyCorsHeaders(req, res);
      if (isPreflight(req)) {
        answerPreflight(req, res);
        return;
      }
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
        rest(req, res);
        return;
      }
      if (url.pathname === '/client' || url.pathname.startsWith('/client/')) {
        endpoint.handleRequest(req, res, url);
        return;
      }
      replyJson(res, 404, negotiateErrorBody(`No route for ${url.pathname}. The emulator serves /client and /api.`));
    } catch (error) {
      log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      replyJson(res, 400, negotiateErrorBody('Bad request.'));
    }
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    try {
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      endpoint.handleUpgrade(req, socket, head, url);
    } catch {
      refuseUpgrade(socket, 400, 'Bad request.');
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      endpoint.dispose();
      hubState.dispose();
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${requestedPort} is already in use on ${host}`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new Error(`address ${host} is not available on this machine`));
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new Error(`host ${host} could not be resolved`));
      else if (error.code === 'EACCES') reject(new Error(`not allowed to listen on ${host}:${requestedPort}`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(requestedPort, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => log(`server error: ${error.message}`));

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  // Bound to every interface: clients still need a name they can dial.
  const dialHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const urlHost = dialHost.includes(':') ? `[${dialHost}]` : dialHost;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      endpoint.closeAll('The emulator is shutting down.');
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Let Close messages and close frames go out, then cut whatever is left.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([serverClosed, grace]);
      endpoint.dispose();
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      // The clients' `disconnected` calls are under way: give them the same grace, then stop.
      await upstream?.close(SHUTDOWN_GRACE_MS);
      hubState.dispose();
    })();
    return closing;
  };

  return {
    host: dialHost,
    port,
    url: `http://${urlHost}:${port}`,
    connectionString: buildConnectionString(urlHost, port, accessKey),
    connectionStringPortInEndpoint: buildConnectionString(urlHost, port, accessKey, true),
    core: hubState,
    sessionCount: () => endpoint.sessionCount(),
    describeConnection: (connectionId) => endpoint.describe(connectionId),
    describeUpstream: () => upstream?.describe(),
    close,
  };
}

export type { ServiceCore, HubMessage } from './serviceCore';
export { HubState } from './hubState';
export type { ConnectionDescription } from './session';
export type { UpstreamOptions, UpstreamTemplate } from './upstream';
export { DEFAULT_UPSTREAM_TIMEOUT_MS } from './upstream';
export { DEFAULT_UPSTREAM_URL, SETTINGS_FILE_NAME, UpstreamSettingsError, writeStarterSettings, readSettingsFile, describeTemplates } from './upstream';
