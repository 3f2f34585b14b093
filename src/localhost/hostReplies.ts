/** The local host's own answers (not a function's): JSON errors, empty statuses, host status, the home page. */
import type * as http from 'http';

export function sendJsonError(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendEmpty(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string>): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendHomepage(res: http.ServerResponse, method: string, headers: Record<string, string>): void {
  const body =
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Azure Functions (local host)</title></head>' +
    '<body><h1>Your Functions app is up and running</h1><p>Served by the local functions host.</p></body></html>';
  res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(method === 'HEAD' ? undefined : body);
}
