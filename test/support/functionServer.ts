/**
 * Serves HTTP function handlers over real HTTP in the test process, as the Functions host would (node request ->
 * `HttpRequest` -> handler -> `HttpResponse` -> socket), so official clients can call them: the
 * @microsoft/signalr client negotiates again on every reconnect, which is how it moves to another endpoint.
 * In process (not the local host, which loads the compiled app) so a test shares the service objects the
 * functions use and can watch their endpoints' health.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvocationContext, type HttpHandler } from '@azure/functions';
import { readRequestBody, requestUrl, toHttpRequest, toHttpResponse, writeHttpResponse } from '../../src/localhost/httpAdapter';

export interface FunctionServer {
  /** http://127.0.0.1:port */
  url: string;
  close(): Promise<void>;
}

/** `routes` maps a path (e.g. `/api/negotiate`) to its handler; anything else is a 404. */
export async function startFunctionServer(routes: Record<string, HttpHandler>): Promise<FunctionServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = requestUrl(req, '127.0.0.1');
      const handler = routes[new URL(url).pathname];
      if (handler === undefined) {
        res.writeHead(404).end();
        return;
      }
      const request = toHttpRequest(req, url, await readRequestBody(req), {});
      const context = new InvocationContext({ functionName: new URL(url).pathname, logHandler: () => undefined });
      await writeHttpResponse(res, toHttpResponse(await handler(request, context)), req.method ?? 'GET', {});
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
