/**
 * A minimal real HTTP server standing in for the SignalR Service REST API where a test needs to count
 * exactly what reached the service: it records every request and answers like the service does
 * (202 for POST sends, 204 for :closeConnections, 200 for HEAD/PUT/DELETE).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  /** Path without query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StubService {
  readonly url: string;
  readonly requests: StubRequest[];
  /** Requests whose method and path match. */
  count(method: string, pathPattern: RegExp): number;
  close(): Promise<void>;
}

export async function startStubService(): Promise<StubService> {
  const requests: StubRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = req.method === 'POST' ? (url.pathname.endsWith(':closeConnections') ? 204 : 202) : 200;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    count: (method, pathPattern) => requests.filter((r) => r.method === method && pathPattern.test(r.path)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
