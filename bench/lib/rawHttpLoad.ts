/**
 * A deliberately cheap HTTP/1.1 load generator: N keep-alive sockets, each with one request in
 * flight, writing a precomputed request and parsing only the status line and the body framing.
 * It costs a fraction of what `node:http` or axios cost per request, so on a 2-core machine the
 * measured server (in its own process) is what saturates, not the generator. Both sides of a
 * comparison are driven by this same generator, so the ratio compares servers only.
 */
import net from 'node:net';

export interface RawLoadOptions {
  host: string;
  port: number;
  /** Complete request bytes (request line, headers, body), sent unchanged each time. */
  request: Buffer;
  /** Sockets; each keeps exactly one request in flight. */
  connections: number;
  durationMs: number;
}

export interface RawLoadResult {
  /** Responses completed inside the measuring window. */
  completed: number;
  /** Completed responses per second. */
  rate: number;
  /** Count per HTTP status. */
  statuses: Record<number, number>;
  /** Body length of the last response seen (to size a baseline's reply). */
  lastBodyLength: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Parses back-to-back HTTP responses from a byte stream; calls `onResponse` for each complete one. */
export class ResponseParser {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onResponse: (status: number, bodyLength: number) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const consumed = this.parseOne();
      if (consumed === 0) break;
      this.buffer = this.buffer.subarray(consumed);
      if (this.buffer.length === 0) break;
    }
  }

  /** Returns the bytes of one complete response at the start of the buffer, or 0 when incomplete. */
  private parseOne(): number {
    const buf = this.buffer;
    const headerEnd = buf.indexOf(HEADER_END);
    if (headerEnd < 0) return 0;
    const head = buf.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const bodyStart = headerEnd + 4;
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    if (lengthMatch) {
      const length = Number(lengthMatch[1]);
      if (buf.length < bodyStart + length) return 0;
      this.onResponse(status, length);
      return bodyStart + length;
    }
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
      let offset = bodyStart;
      let bodyLength = 0;
      for (;;) {
        const lineEnd = buf.indexOf(CRLF, offset);
        if (lineEnd < 0) return 0;
        const size = parseInt(buf.toString('latin1', offset, lineEnd), 16);
        if (!Number.isFinite(size)) throw new Error('bad chunk size in response');
        if (size === 0) {
          // Last chunk: no trailers expected, so the message ends with one more CRLF.
          const end = buf.indexOf(CRLF, lineEnd + 2);
          if (end < 0) return 0;
          this.onResponse(status, bodyLength);
          return end + 2;
        }
        if (buf.length < lineEnd + 2 + size + 2) return 0;
        bodyLength += size;
        offset = lineEnd + 2 + size + 2;
      }
    }
    // 204/304 or no body framing: the response ends at the header.
    this.onResponse(status, 0);
    return bodyStart;
  }
}

export function runRawLoad(options: RawLoadOptions): Promise<RawLoadResult> {
  return new Promise((resolve, reject) => {
    const statuses: Record<number, number> = {};
    const sockets: net.Socket[] = [];
    let completed = 0;
    let lastBodyLength = 0;
    let measuring = true;
    let failed = false;
    const started = performance.now();

    const finish = (): void => {
      measuring = false;
      const elapsed = (performance.now() - started) / 1000;
      for (const socket of sockets) socket.destroy();
      if (!failed) resolve({ completed, rate: completed / elapsed, statuses, lastBodyLength });
    };

    const fail = (error: Error): void => {
      if (failed || !measuring) return;
      failed = true;
      measuring = false;
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      reject(error);
    };

    const open = (): void => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      sockets.push(socket);
      const parser = new ResponseParser((status, bodyLength) => {
        if (!measuring) return;
        completed++;
        statuses[status] = (statuses[status] ?? 0) + 1;
        lastBodyLength = bodyLength;
        socket.write(options.request);
      });
      socket.on('connect', () => socket.write(options.request));
      socket.on('data', (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (error) {
          fail(error as Error);
        }
      });
      socket.on('error', (error) => fail(error));
      socket.on('close', () => {
        // The server closed a keep-alive socket (e.g. its keepAliveTimeout): reopen one.
        if (measuring && !failed) open();
      });
    };

    for (let i = 0; i < options.connections; i++) open();
    const timer = setTimeout(finish, options.durationMs);
  });
}

/** Builds request bytes with a correct Content-Length. */
export function buildRequest(method: string, path: string, host: string, headers: Record<string, string>, body = ''): Buffer {
  const bodyBytes = Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (bodyBytes.length > 0 || method === 'POST' || method === 'PUT') lines.push(`Content-Length: ${bodyBytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), bodyBytes]);
}
