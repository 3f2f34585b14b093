/**
 * One upstream HTTP call: POST with keep-alive sockets, a time budget, and a bound on the answer's size. It never
 * throws; every way a call can end is an outcome the dispatcher turns into a Completion or a log line.
 */
import http from 'node:http';
import https from 'node:https';
import { failedOnStaleConnection, MAX_UPSTREAM_RESPONSE_BYTES } from '../../contract';

export type UpstreamOutcome =
  | { kind: 'answered'; status: number; body: Buffer; contentType: string | undefined }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; code: string | undefined; message: string }
  | { kind: 'tooLarge' };

export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Idle kept-alive sockets are dropped before a Node server's 5 s keep-alive timeout closes them under us. */
const IDLE_SOCKET_TIMEOUT_MS = 4000;

export class UpstreamCaller {
  private readonly httpAgent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' });
  /** No keep-alive: a new connection for the resend after a stale one. */
  private readonly freshHttpAgent = new http.Agent({ keepAlive: false });
  private readonly freshHttpsAgent = new https.Agent({ keepAlive: false });

  constructor(private readonly timeoutMs: number) {}

  async call(request: UpstreamRequest): Promise<UpstreamOutcome> {
    const first = await this.attempt(request, false);
    // A reused kept-alive socket the upstream closed before any byte of the answer: it never read the request
    // (src/contract/staleConnections.ts), so one retry on a fresh socket cannot run a hub method twice.
    if (first.kind === 'unreachable' && first.staleConnection) return this.attempt(request, true);
    return first;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.freshHttpAgent.destroy();
    this.freshHttpsAgent.destroy();
  }

  private attempt(request: UpstreamRequest, freshSocket: boolean): Promise<UpstreamOutcome & { staleConnection?: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: UpstreamOutcome & { staleConnection?: boolean }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const url = new URL(request.url);
      const secure = url.protocol === 'https:';
      const agent = freshSocket ? (secure ? this.freshHttpsAgent : this.freshHttpAgent) : secure ? this.httpsAgent : this.httpAgent;
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent,
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
      });
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      timer.unref();
      // Bytes the socket had read before this request: any more means the answer had started.
      let bytesReadBefore = 0;
      req.on('socket', (socket) => {
        bytesReadBefore = socket.bytesRead;
      });
      req.on('response', (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > MAX_UPSTREAM_RESPONSE_BYTES) {
          finish({ kind: 'tooLarge' });
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_UPSTREAM_RESPONSE_BYTES) {
            finish({ kind: 'tooLarge' });
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const contentType = res.headers['content-type'];
          finish({ kind: 'answered', status: res.statusCode ?? 0, body: Buffer.concat(chunks, size), contentType });
        });
        res.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', code: error.code, message: error.message }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const answerStarted = (req.socket?.bytesRead ?? 0) > bytesReadBefore;
        const staleConnection = failedOnStaleConnection({ errorCode: error.code, reusedSocket: req.reusedSocket, answerStarted });
        finish({ kind: 'unreachable', code: error.code, message: error.message, staleConnection });
      });
      req.end(request.body);
    });
  }
}
