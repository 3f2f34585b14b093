import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Allow-all CORS with credentials, as the official emulator configures it (any origin echoed back,
 * any header, any method, credentials allowed): browser apps on any local port can reach it.
 */
const DEFAULT_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-Requested-With',
  'X-SignalR-User-Agent',
  'Accept',
  'Cache-Control',
  'Pragma',
].join(', ');
const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, HEAD, OPTIONS, PATCH';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** Adds the CORS response headers for a request that carries an Origin. */
export function applyCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (!origin) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Vary', 'Origin');
}

/** True for a CORS preflight (OPTIONS), which is answered here for every route. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS';
}

export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requestedHeaders = req.headers['access-control-request-headers'];
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  // Allow-any-header: echo what the browser asks for, else name the headers SignalR clients use.
  res.setHeader('Access-Control-Allow-Headers', typeof requestedHeaders === 'string' && requestedHeaders.trim() !== '' ? requestedHeaders : DEFAULT_ALLOWED_HEADERS);
  res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
  res.writeHead(204, { 'Content-Length': 0 });
  res.end();
}
