/**
 * A fault-injecting reverse proxy for tests: it sits on 127.0.0.1:<free port> in front of a real
 * HTTP server (the emulator or a recording server) and forwards every request unchanged until a test
 * switches it into a fault mode. The mode is read per request (not per TCP connection), so keep-alive
 * sockets that the client under test pools still see every switch.
 *
 * Modes:
 * - `pass`: forward to the upstream and stream its answer back (WebSocket upgrades are piped raw).
 * - `refuse`: the listening socket is closed, so new connections get ECONNREFUSED; pooled keep-alive
 *   sockets are destroyed too (a restarted service would drop them). Leaving the mode listens again
 *   on the same port.
 * - `reset-before-forward`: the request is read, never forwarded, and the socket is reset (RST):
 *   the service never saw the call, so a retry is safe.
 * - `reset-after-forward`: the request is forwarded, the upstream answers, and the client's socket is
 *   reset instead of getting that answer: the service DID act, which is the case where a retried send
 *   would be delivered twice. On a reused kept-alive connection the client cannot tell this from a stale
 *   connection (src/contract/staleConnections.ts): the one case its retry rule gets wrong.
 * - `cut-mid-answer`: the request is forwarded, the upstream answers, and the client gets the start of that
 *   answer (status line, headers, half the body) before the connection ends: the service acted and the
 *   client saw it begin to answer.
 * - `stall`: the request is held without an answer until the client gives up (or the proxy closes).
 * - `delay`: forwarded after `ms` milliseconds.
 * - `script`: the next requests are answered from the list (status, headers, body) without reaching
 *   the upstream; when the list is used up the proxy behaves as `then` (default `pass`).
 * The request-level faults take `times` (apply to the next N requests only) and `then`.
 *
 * Connection-level faults (`connectionFault`, independent of the mode), as load balancers bring them to
 * kept-alive connections:
 * - `close-idle`: a connection idle (no request in flight) for a random time in [minIdleMs, maxIdleMs] is
 *   closed (FIN or RST at random), without warning: the client may be writing its next request at that moment.
 * - `close-on-reuse`: a request that arrives on a connection an earlier request used is, with `probability`,
 *   not forwarded: the connection is closed (FIN or RST at random) the moment the request arrives, the race
 *   a client loses when the server closes the idle connection it is reusing.
 *
 * Every request is counted in `stats`, with the mode that handled it, so tests can assert exactly how
 * many attempts a client made and how many reached the service.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A request-level fault can be limited to its next `times` requests, after which `then` (default pass) applies. */
interface Limited {
  times?: number;
  then?: FaultMode;
}

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | ({ kind: 'reset-before-forward' } & Limited)
  | ({ kind: 'reset-after-forward' } & Limited)
  | ({ kind: 'cut-mid-answer' } & Limited)
  | ({ kind: 'stall' } & Limited)
  | ({ kind: 'delay'; ms: number } & Limited)
  | { kind: 'script'; responses: ScriptedResponse[]; then?: FaultMode };

export type ConnectionFault =
  | { kind: 'none' }
  | { kind: 'close-idle'; minIdleMs: number; maxIdleMs: number }
  | { kind: 'close-on-reuse'; probability: number };

export type FaultKind = FaultMode['kind'] | 'close-on-reuse';

export interface ProxiedRequestRecord {
  method: string;
  url: string;
  /** The mode that handled this request. */
  handledBy: FaultKind;
  /** True when the request reached the upstream server. */
  forwarded: boolean;
  /** True when an earlier request used the same client connection. */
  reusedConnection: boolean;
}

export interface FaultProxyStats {
  /** Every request the proxy accepted, in arrival order. */
  requests: ProxiedRequestRecord[];
  /** Requests that reached the upstream. */
  forwarded: number;
  /** Requests (or, for `refuse`, mode activations) answered with a fault instead of a plain pass. */
  faultsInjected: number;
  /** Fault injections per kind. */
  faultsByKind: Record<string, number>;
  /** Idle connections closed by `close-idle` (a fault only for a client that was reusing one at that moment). */
  idleConnectionsClosed: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly stats: FaultProxyStats;
  /** Switches the mode for the next requests; resolves once the listener state matches it. */
  setMode(mode: FaultMode): Promise<void>;
  /** Switches the connection-level fault (applies to connections open now too). */
  setConnectionFault(fault: ConnectionFault): void;
  /** Shorthand for `setMode({kind: 'script', responses, then})`. */
  script(responses: ScriptedResponse[], then?: FaultMode): Promise<void>;
  /**
   * Faults injected since the last drain, by kind, and forgets them: what a test settles with the outcome it
   * observed (test/support/faultLedger.ts). Independent of resetStats().
   */
  drainFaults(): Record<string, number>;
  /** Count of requests that reached the upstream and match the predicate. */
  forwardedMatching(predicate: (r: ProxiedRequestRecord) => boolean): number;
  resetStats(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. the emulator's `http://127.0.0.1:1234`. */
  target: string;
  /** Initial mode (default pass). */
  mode?: FaultMode;
  /** Initial connection-level fault (default none). */
  connectionFault?: ConnectionFault;
  /** Random source of the connection faults (default Math.random). */
  random?: () => number;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const upstreamHost = target.hostname;
  const upstreamPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  // One keep-alive agent towards the upstream, destroyed on close so jest exits cleanly.
  // Idle upstream sockets are dropped after 4 s, before a Node server's 5 s keep-alive timeout closes them under
  // the proxy (which would answer 502 for a fault nobody injected).
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });

  let mode: FaultMode = options.mode ?? { kind: 'pass' };
  let scriptQueue: ScriptedResponse[] = [];
  let remaining = Infinity;
  const enter = (next: FaultMode): void => {
    mode = next;
    scriptQueue = next.kind === 'script' ? [...next.responses] : [];
    remaining = 'times' in next && next.times !== undefined ? next.times : Infinity;
  };
  enter(mode);
  let connectionFault: ConnectionFault = options.connectionFault ?? { kind: 'none' };
  const random = options.random ?? Math.random;
  let closed = false;
  const sockets = new Set<net.Socket>();
  const stalled = new Set<http.ServerResponse>();
  const stats: FaultProxyStats = { requests: [], forwarded: 0, faultsInjected: 0, faultsByKind: {}, idleConnectionsClosed: 0 };
  /** Per client connection: requests seen, requests in flight, and the pending idle close. */
  const connections = new WeakMap<net.Socket, { requests: number; inFlight: number; idleTimer?: NodeJS.Timeout }>();
  const connectionOf = (socket: net.Socket): { requests: number; inFlight: number; idleTimer?: NodeJS.Timeout } => {
    let state = connections.get(socket);
    if (state === undefined) connections.set(socket, (state = { requests: 0, inFlight: 0 }));
    return state;
  };
  /** Closes like a load balancer would: a FIN or an RST, at random. */
  const closeConnection = (socket: net.Socket): void => {
    if (random() < 0.5) socket.destroy();
    else socket.resetAndDestroy();
  };
  const armIdleClose = (socket: net.Socket): void => {
    const state = connectionOf(socket);
    clearTimeout(state.idleTimer);
    if (connectionFault.kind !== 'close-idle' || state.inFlight > 0 || socket.destroyed) return;
    const { minIdleMs, maxIdleMs } = connectionFault;
    state.idleTimer = setTimeout(() => {
      if (state.inFlight > 0 || socket.destroyed) return;
      stats.idleConnectionsClosed += 1;
      closeConnection(socket);
    }, minIdleMs + random() * (maxIdleMs - minIdleMs));
  };

  let undrained: Record<string, number> = {};
  const countFault = (kind: FaultKind): void => {
    stats.faultsInjected += 1;
    stats.faultsByKind[kind] = (stats.faultsByKind[kind] ?? 0) + 1;
    undrained[kind] = (undrained[kind] ?? 0) + 1;
  };

  /** The mode that applies to the next request: a script that ran out falls through to its `then`. */
  const currentMode = (): FaultMode => {
    for (;;) {
      if (mode.kind === 'script' && scriptQueue.length === 0) enter(mode.then ?? { kind: 'pass' });
      else if (remaining <= 0 && 'then' in mode) enter(mode.then ?? { kind: 'pass' });
      else if (remaining <= 0) enter({ kind: 'pass' });
      else break;
    }
    remaining -= 1;
    return mode;
  };

  const server = http.createServer();
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      clearTimeout(connections.get(socket)?.idleTimer);
    });
    // A fault test resets sockets on purpose; their errors are expected, not crashes.
    socket.on('error', () => undefined);
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    onResponse: (upstream: http.IncomingMessage) => void,
    onError: () => void,
  ): void => {
    // The Host header is kept, as a reverse proxy in front of the service would: the service checks
    // token audiences against the URL the client used, which is the proxy's.
    const headers = { ...req.headers };
    delete headers.connection;
    const outgoing = http.request({
      host: upstreamHost,
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers,
      agent: upstreamAgent,
    });
    outgoing.on('response', onResponse);
    outgoing.on('error', onError);
    outgoing.end(body);
  };

  const passThrough = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void => {
    forward(
      req,
      body,
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
      () => {
        // Upstream unreachable: a proxy answers 502, which a client treats like a failed service.
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":"fault proxy: upstream unreachable"}');
      },
    );
  };

  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(Buffer.concat(chunks)));
    });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const connection = connectionOf(req.socket);
    clearTimeout(connection.idleTimer);
    connection.requests += 1;
    const reusedConnection = connection.requests > 1;
    if (reusedConnection && connectionFault.kind === 'close-on-reuse' && random() < connectionFault.probability) {
      stats.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', handledBy: 'close-on-reuse', forwarded: false, reusedConnection });
      countFault('close-on-reuse');
      closeConnection(req.socket);
      return;
    }
    connection.inFlight += 1;
    res.on('close', () => {
      connection.inFlight -= 1;
      armIdleClose(req.socket);
    });
    const active = currentMode();
    const record: ProxiedRequestRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      handledBy: active.kind,
      forwarded: false,
      reusedConnection,
    };
    stats.requests.push(record);
    const markForwarded = (): void => {
      record.forwarded = true;
      stats.forwarded += 1;
    };

    void readBody(req).then((body) => {
      switch (active.kind) {
        case 'pass':
          markForwarded();
          passThrough(req, res, body);
          return;
        case 'refuse':
          // A request that slipped in while the listener was closing: drop it like a dead server.
          countFault('refuse');
          req.socket.resetAndDestroy();
          return;
        case 'reset-before-forward':
          countFault(active.kind);
          req.socket.resetAndDestroy();
          return;
        case 'reset-after-forward':
        case 'cut-mid-answer': {
          countFault(active.kind);
          markForwarded();
          const cut = active.kind === 'cut-mid-answer';
          forward(
            req,
            body,
            (upstream) => {
              const chunks: Buffer[] = [];
              upstream.on('data', (c: Buffer) => chunks.push(c));
              upstream.on('end', () => {
                if (!cut) {
                  req.socket.resetAndDestroy();
                  return;
                }
                // Raw bytes on the client's socket: the answer's head announcing its full length, half of it, then FIN.
                const answer = Buffer.concat(chunks);
                const head = `HTTP/1.1 ${upstream.statusCode ?? 502} ${http.STATUS_CODES[upstream.statusCode ?? 502] ?? ''}\r\ncontent-length: ${answer.length + 2}\r\n\r\n`;
                req.socket.end(Buffer.concat([Buffer.from(head, 'latin1'), answer.subarray(0, Math.ceil(answer.length / 2))]));
              });
            },
            () => req.socket.resetAndDestroy(),
          );
          return;
        }
        case 'stall':
          countFault(active.kind);
          stalled.add(res);
          res.on('close', () => stalled.delete(res));
          return;
        case 'delay': {
          countFault(active.kind);
          const timer = setTimeout(() => {
            if (req.socket.destroyed) return;
            markForwarded();
            passThrough(req, res, body);
          }, active.ms);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        case 'script': {
          const next = scriptQueue.shift() as ScriptedResponse;
          countFault(active.kind);
          res.writeHead(next.status, { 'content-type': 'application/json', ...(next.headers ?? {}) });
          res.end(next.body ?? '');
          return;
        }
      }
    });
  });

  // WebSocket (and any other) upgrades: pipe raw bytes both ways in pass mode, reset otherwise.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const active = currentMode();
    stats.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', handledBy: active.kind, forwarded: active.kind === 'pass', reusedConnection: false });
    if (active.kind !== 'pass') {
      countFault(active.kind);
      socket.resetAndDestroy();
      return;
    }
    stats.forwarded += 1;
    const upstream = net.connect(upstreamPort, upstreamHost, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      // Drop pooled keep-alive and in-flight sockets, as a crashed service would.
      for (const s of stalled) s.destroy();
      for (const s of sockets) s.destroy();
    });

  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  if (mode.kind === 'refuse') await stopListening();

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    async setMode(next: FaultMode): Promise<void> {
      if (closed) throw new Error('fault proxy is closed');
      const wasRefusing = mode.kind === 'refuse';
      enter(next);
      if (next.kind === 'refuse' && !wasRefusing) {
        countFault('refuse');
        await stopListening();
      } else if (next.kind !== 'refuse' && !server.listening) {
        await listen(port);
      }
      // Held requests are released by a switch: a stalled service that comes back closes them.
      if (next.kind !== 'stall') for (const s of stalled) s.destroy();
    },
    setConnectionFault(fault: ConnectionFault): void {
      connectionFault = fault;
      for (const socket of sockets) if (connections.has(socket)) armIdleClose(socket);
    },
    script(responses: ScriptedResponse[], then?: FaultMode): Promise<void> {
      return proxy.setMode({ kind: 'script', responses, then });
    },
    drainFaults(): Record<string, number> {
      const drained = undrained;
      undrained = {};
      return drained;
    },
    forwardedMatching(predicate: (r: ProxiedRequestRecord) => boolean): number {
      return stats.requests.filter((r) => r.forwarded && predicate(r)).length;
    },
    resetStats(): void {
      stats.requests.length = 0;
      stats.forwarded = 0;
      stats.faultsInjected = 0;
      stats.idleConnectionsClosed = 0;
      for (const k of Object.keys(stats.faultsByKind)) delete stats.faultsByKind[k];
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await stopListening();
      upstreamAgent.destroy();
    },
  };
  return proxy;
}
