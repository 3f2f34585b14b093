/**
 * One upstream HTTP call: POST with keep-alive sockets, a time budget, and a bound on the answer's size. It never
 * throws; every way a call can end is an outcome the dispatcher turns into a Completion or a log line.
 */
import http from 'node:http';
import https from 'node:https';
import { MAX_UPSTREAM_RESPONSE_BYTES } from '../../contract';

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

  constructor(private readonly timeoutMs: number) {}

  async call(request: UpstreamRequest): Promise<UpstreamOutcome> {
    const first = await this.attempt(request);
    // A reset of a kept-alive socket before any byte of the answer means the upstream never saw the request (it
    // closed the idle socket as we reused it): one retry on a fresh socket cannot run a hub method twice.
    if (first.kind === 'unreachable' && first.code === 'ECONNRESET' && first.reusedSocket) return this.attempt(request);
    return first;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private attempt(request: UpstreamRequest): Promise<UpstreamOutcome & { reusedSocket?: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: UpstreamOutcome & { reusedSocket?: boolean }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const url = new URL(request.url);
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
      });
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      timer.unref();
      let answered = false;
      req.on('response', (res) => {
        answered = true;
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
        finish({ kind: 'unreachable', code: error.code, message: error.message, reusedSocket: req.reusedSocket && !answered });
      });
      req.end(request.body);
    });
  }
}
