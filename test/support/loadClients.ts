/**
 * Load-client harness: many raw `ws` SignalR clients from one process, each doing what the official
 * client does (negotiate with the client token, open the WebSocket with the connection token, JSON
 * handshake) and then only counting what it receives. Per client it keeps a few numbers, not the
 * messages, so 10,000 clients fit comfortably in one jest worker.
 *
 * Message convention used by the load tests: every invocation's `arguments[0]` is a sequence number that
 * starts at 0 and grows by one per target, per receiving connection. A client records, per target, the
 * next number it expects; anything else is counted as a gap (lost), a duplicate, or a reorder.
 *
 * Also here: `openStalledWebSocket` (a connection that completes the handshake and then never reads,
 * i.e. a slow consumer) and `rawUpgrade` (a plain socket upgraded by hand, for sending bytes that are
 * not valid WebSocket frames).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const RS = '\u001e';

export interface NegotiateResult {
  connectionId: string;
  connectionToken: string;
}

/** POST {clientUrl with /negotiate inserted}&negotiateVersion=1, as the official client does. */
export async function negotiateWithService(
  clientUrl: string,
  accessToken: string,
  agent?: http.Agent,
  localAddress?: string,
): Promise<NegotiateResult> {
  const url = negotiateUrl(clientUrl);
  const { status, body } = await httpRequest(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-length': '0' },
    agent,
    localAddress,
  });
  if (status !== 200) throw new Error(`negotiate answered ${status}: ${body.slice(0, 200)}`);
  const parsed = JSON.parse(body) as Partial<NegotiateResult>;
  if (typeof parsed.connectionId !== 'string') throw new Error(`negotiate gave no connectionId: ${body.slice(0, 200)}`);
  return { connectionId: parsed.connectionId, connectionToken: parsed.connectionToken ?? parsed.connectionId };
}

export function negotiateUrl(clientUrl: string): string {
  const u = new URL(clientUrl);
  u.pathname = u.pathname.replace(/\/?$/, '/negotiate');
  u.searchParams.set('negotiateVersion', '1');
  return u.toString();
}

export function transportUrl(clientUrl: string, connectionToken: string, accessToken: string, scheme: 'ws' | 'http' = 'ws'): string {
  const u = new URL(clientUrl);
  u.protocol = scheme === 'ws' ? u.protocol.replace(/^http/, 'ws') : u.protocol.replace(/^ws/, 'http');
  u.searchParams.set('id', connectionToken);
  u.searchParams.set('access_token', accessToken);
  return u.toString();
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent; localAddress?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    // Always frame a body with Content-Length: Node sends DELETE / OPTIONS bodies unframed otherwise,
    // which the server would read as a second, garbage request.
    if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers,
      agent: options.agent,
      localAddress: options.localAddress,
    });
    const timer = setTimeout(() => req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer in ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(options.body);
  });
}

/** What one load client knows: counts only. */
export interface LoadClientState {
  readonly index: number;
  connectionId: string;
  received: number;
  gaps: number;
  duplicates: number;
  /** Next expected sequence number per target. */
  readonly expected: Map<string, number>;
  closeMessages: number;
  closedByServer: boolean;
  lastCloseError?: string;
}

export interface LoadClient extends LoadClientState {
  readonly socket: WebSocket;
  /** Sends an invocation (no invocationId), as a client calling a hub method would. */
  invoke(target: string, args: unknown[]): void;
  /** Polite close (close frame). */
  close(): void;
  /** Abrupt death: the TCP socket is destroyed without a close frame, as when a process is killed. */
  kill(): void;
}

export interface ClientCredentials {
  /** The client URL negotiate returned (`.../client/?hub=x`). */
  url: string;
  accessToken: string;
}

export interface ConnectOptions {
  /** Source address for the TCP connection, to spread over 127.0.0.x when ephemeral ports run short. */
  localAddress?: string;
  /** Called for every invocation with its target and arguments (keep it cheap under load). */
  onInvocation?: (client: LoadClient, target: string, args: unknown[]) => void;
  onClose?: (client: LoadClient) => void;
  handshakeTimeoutMs?: number;
}

export async function connectLoadClient(index: number, creds: ClientCredentials, options: ConnectOptions = {}): Promise<LoadClient> {
  const negotiated = await negotiateWithService(creds.url, creds.accessToken, undefined, options.localAddress);
  const socket = new WebSocket(transportUrl(creds.url, negotiated.connectionToken, creds.accessToken), {
    perMessageDeflate: false,
    localAddress: options.localAddress,
    handshakeTimeout: options.handshakeTimeoutMs ?? 20_000,
  });
  const client: LoadClient = {
    index,
    connectionId: negotiated.connectionId,
    received: 0,
    gaps: 0,
    duplicates: 0,
    expected: new Map(),
    closeMessages: 0,
    closedByServer: false,
    socket,
    invoke(target, args) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 1, target, arguments: args }) + RS);
    },
    close() {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000);
    },
    kill() {
      socket.terminate();
    },
  };
  await new Promise<void>((resolve, reject) => {
    let handshakeDone = false;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`client ${index}: no handshake reply`));
    }, options.handshakeTimeoutMs ?? 20_000);
    socket.on('error', (e) => {
      if (!handshakeDone) {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.on('open', () => socket.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS));
    socket.on('close', () => {
      client.closedByServer = true;
      if (!handshakeDone) {
        clearTimeout(timer);
        reject(new Error(`client ${index}: closed before handshake`));
      }
      options.onClose?.(client);
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const text = data.toString('utf8');
      for (const frame of text.split(RS)) {
        if (frame.length === 0) continue;
        if (!handshakeDone) {
          handshakeDone = true;
          clearTimeout(timer);
          const reply = JSON.parse(frame) as { error?: string };
          if (reply.error) {
            reject(new Error(`client ${index}: handshake refused: ${reply.error}`));
            socket.terminate();
          } else resolve();
          continue;
        }
        countMessage(client, frame, options);
      }
    });
  });
  return client;
}

function countMessage(client: LoadClient, frame: string, options: ConnectOptions): void {
  const msg = JSON.parse(frame) as { type?: number; target?: string; arguments?: unknown[]; error?: string };
  if (msg.type === 7) {
    client.closeMessages += 1;
    client.lastCloseError = msg.error;
    return;
  }
  if (msg.type !== 1 || typeof msg.target !== 'string') return;
  client.received += 1;
  const args = Array.isArray(msg.arguments) ? msg.arguments : [];
  const seq = args[0];
  if (typeof seq === 'number') {
    const expected = client.expected.get(msg.target) ?? 0;
    if (seq > expected) client.gaps += seq - expected;
    if (seq < expected) client.duplicates += 1;
    else client.expected.set(msg.target, seq + 1);
  }
  options.onInvocation?.(client, msg.target, args);
}

export interface LoadPool {
  readonly clients: LoadClient[];
  /** Connect failures by message (first few kept). */
  readonly failures: string[];
  totals(): { received: number; gaps: number; duplicates: number; open: number };
  /** Resolves when `predicate()` holds, polling every `everyMs`; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  closeAll(): Promise<void>;
}

export interface PoolOptions extends ConnectOptions {
  count: number;
  /** Connections opened at the same time (the listen backlog is 4096 here; stay well below). */
  concurrency?: number;
  credentials(index: number): ClientCredentials;
  /** Source addresses to rotate through (default 127.0.0.1 only). */
  localAddresses?: string[];
  /** Every interval the pool pings every client, as the official client does every 15 s. */
  pingIntervalMs?: number;
}

/** Opens `count` clients with bounded concurrency; rejects if any cannot connect. */
export async function openLoadPool(options: PoolOptions): Promise<LoadPool> {
  const clients: LoadClient[] = [];
  const failures: string[] = [];
  const concurrency = options.concurrency ?? 200;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const index = next++;
      const localAddress = options.localAddresses?.[index % options.localAddresses.length] ?? options.localAddress;
      try {
        clients[index] = await connectLoadClient(index, options.credentials(index), { ...options, localAddress });
      } catch (e) {
        failures.push(`client ${index}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, options.count) }, worker));
  const pingFrame = JSON.stringify({ type: 6 }) + RS;
  const pinger = setInterval(() => {
    for (const c of clients) if (c && c.socket.readyState === WebSocket.OPEN) c.socket.send(pingFrame);
  }, options.pingIntervalMs ?? 10_000);
  pinger.unref();
  const pool: LoadPool = {
    clients,
    failures,
    totals() {
      let received = 0;
      let gaps = 0;
      let duplicates = 0;
      let open = 0;
      for (const c of clients) {
        if (!c) continue;
        received += c.received;
        gaps += c.gaps;
        duplicates += c.duplicates;
        if (c.socket.readyState === WebSocket.OPEN) open += 1;
      }
      return { received, gaps, duplicates, open };
    },
    waitFor(predicate, timeoutMs, what) {
      return waitUntil(predicate, timeoutMs, what);
    },
    async closeAll() {
      clearInterval(pinger);
      await Promise.all(
        clients.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (!c || c.socket.readyState === WebSocket.CLOSED) return resolve();
              c.socket.once('close', () => resolve());
              c.kill();
            }),
        ),
      );
    },
  };
  if (failures.length > 0 && clients.filter(Boolean).length === 0) {
    await pool.closeAll();
    throw new Error(`no client connected: ${failures.slice(0, 3).join('; ')}`);
  }
  return pool;
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A hand-upgraded WebSocket on a plain TCP socket. The caller gets the socket after the 101 answer,
 * free to write anything (valid frames via `maskedFrame`, or garbage) and to stop reading.
 */
export function rawUpgrade(wsUrl: string, localAddress?: string): Promise<{ socket: net.Socket; response: string; leftover: Buffer }> {
  const u = new URL(wsUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port), localAddress });
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const response = buffer.subarray(0, end).toString('latin1');
      if (!response.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${response.split('\r\n')[0]}`));
        return;
      }
      resolve({ socket, response, leftover: buffer.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        [
          `GET ${u.pathname}${u.search} HTTP/1.1`,
          `Host: ${u.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      );
    });
  });
}

/** One masked client-to-server WebSocket frame (opcode 1 text, 2 binary), as RFC 6455 requires. */
export function maskedFrame(payload: Buffer, opcode = 1, fin = true): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header: number[] = [(fin ? 0x80 : 0) | opcode];
  if (len < 126) header.push(0x80 | len);
  else if (len < 65536) header.push(0x80 | 126, len >> 8, len & 0xff);
  else {
    header.push(0x80 | 127, 0, 0, 0, 0);
    header.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([Buffer.from(header), mask, masked]);
}

/**
 * A slow consumer: negotiates, upgrades, sends the JSON handshake, then pauses its socket for good so
 * the server's writes pile up. `destroy()` releases it at the end of the test.
 */
export async function openStalledWebSocket(creds: ClientCredentials): Promise<{ connectionId: string; socket: net.Socket; destroy(): void }> {
  const negotiated = await negotiateWithService(creds.url, creds.accessToken);
  const { socket } = await rawUpgrade(transportUrl(creds.url, negotiated.connectionToken, creds.accessToken));
  socket.on('error', () => undefined);
  socket.write(maskedFrame(Buffer.from(JSON.stringify({ protocol: 'json', version: 1 }) + RS)));
  // Give the handshake reply a moment to arrive, then stop reading for good.
  await new Promise((r) => setTimeout(r, 50));
  socket.pause();
  return { connectionId: negotiated.connectionId, socket, destroy: () => socket.destroy() };
}
