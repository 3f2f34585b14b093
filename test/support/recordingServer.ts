/**
 * A real HTTP server on 127.0.0.1 (port 0) that records every request and answers from a script.
 * Reusable by any suite that needs to see exactly what a client put on the wire.
 *
 *   const server = await RecordingServer.start();
 *   server.enqueue({ status: 503, headers: { 'retry-after': '0' } }, { status: 202 });
 *   ... call the client at server.url ...
 *   expect(server.requests[0].rawPath).toBe('/api/hubs/chat/users/a%2Fb/:send');
 *   await server.close();
 *
 * Responses come from the queue (one per request, in order), else from the default responder.
 * A scripted response may delay, destroy the socket (after the body was read: the request WAS received),
 * or never answer (the socket is kept until close()).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path exactly as sent, before `?` (percent-encoding preserved). */
  rawPath: string;
  /** The full request target as sent (path and query). */
  rawUrl: string;
  /** Decoded query values; repeated keys keep every value in order. */
  query: Record<string, string[]>;
  headers: IncomingHttpHeaders;
  body: string;
  /** Index of this request since start (0-based). */
  index: number;
  /** Date.now() when the request was fully received. */
  receivedAt: number;
  /** Client port of the TCP connection (same port = same kept-alive connection). */
  remotePort: number;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: string | object;
  /** Wait this long before answering (or destroying). */
  delayMs?: number;
  /** Destroy the socket instead of answering (after the request body was fully received). */
  destroy?: boolean;
  /** Never answer; the socket stays open until close(). */
  hang?: boolean;
}

export type Responder = (request: RecordedRequest) => ScriptedResponse;

function parseQuery(rawUrl: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  const search = new URL(rawUrl, 'http://recording.invalid').searchParams;
  for (const [key, value] of search) (query[key] ??= []).push(value);
  return query;
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedResponse[] = [];
  private responder: Responder;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly server: http.Server, defaultResponder: Responder) {
    this.responder = defaultResponder;
  }

  static async start(defaultResponse: ScriptedResponse | Responder = { status: 200 }): Promise<RecordingServer> {
    const responder: Responder = typeof defaultResponse === 'function' ? defaultResponse : () => defaultResponse;
    const server = http.createServer();
    const recording = new RecordingServer(server, responder);
    server.on('connection', (socket) => {
      recording.sockets.add(socket);
      socket.on('close', () => recording.sockets.delete(socket));
    });
    server.on('request', (req, res) => recording.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return recording;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>` without trailing slash. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** TCP connections open right now (kept-alive ones included). */
  openConnections(): number {
    return this.sockets.size;
  }

  /** Scripts the next responses, one per request, in order. */
  enqueue(...responses: ScriptedResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  /** Replaces the responder used when the queue is empty. */
  respondWith(response: ScriptedResponse | Responder): this {
    this.responder = typeof response === 'function' ? response : () => response;
    return this;
  }

  /** Resolves once at least `count` requests were recorded. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Closes the server, every open socket (also hanging ones) and pending timers. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const queryStart = rawUrl.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        rawPath: queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart),
        rawUrl,
        query: parseQuery(rawUrl),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        index: this.requests.length,
        receivedAt: Date.now(),
        remotePort: req.socket.remotePort ?? 0,
      };
      this.requests.push(recorded);
      const script = this.queue.shift() ?? this.responder(recorded);
      for (const waiter of this.waiters.filter((w) => this.requests.length >= w.count)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (script.hang === true) return;
      const act = (): void => {
        if (script.destroy === true) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = { ...script.headers };
        let body = '';
        if (script.body !== undefined) {
          body = typeof script.body === 'string' ? script.body : JSON.stringify(script.body);
          if (typeof script.body !== 'string' && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
        }
        res.writeHead(script.status ?? 200, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (script.delayMs !== undefined && script.delayMs > 0) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          act();
        }, script.delayMs);
        this.timers.add(timer);
      } else {
        act();
      }
    });
  }
}
