/**
 * Node http <-> `@azure/functions` HttpRequest / HttpResponse, the conversions the Functions host and worker do.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { HttpRequest, HttpResponse, type Cookie, type HttpRequestInit, type HttpResponseInit } from '@azure/functions';

/** The Functions host's default request size limit (100 MB). */
export const maxRequestBodyBytes = 100 * 1024 * 1024;

export class RequestTooLargeError extends Error {
  override name = 'RequestTooLargeError';
}

export async function readRequestBody(req: IncomingMessage, limit = maxRequestBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limit) throw new RequestTooLargeError(`Request body exceeds ${limit} bytes.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function requestUrl(req: IncomingMessage, fallbackHost: string): string {
  const host = req.headers.host ?? fallbackHost;
  return `http://${host}${req.url ?? '/'}`;
}

export function toHttpRequest(req: IncomingMessage, url: string, body: Buffer, params: Record<string, string>): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const method = req.method ?? 'GET';
  const init: HttpRequestInit = { method, url, headers, params };
  // GET and HEAD cannot carry a body in the fetch Request the library builds on.
  if (method !== 'GET' && method !== 'HEAD' && body.length > 0) init.body = { bytes: body };
  // `query` is left out on purpose: the library then reads it from the URL, keeping repeated keys.
  return new HttpRequest(init);
}

export class InvalidHttpResultError extends Error {
  override name = 'InvalidHttpResultError';
}

/** Anything with the HttpResponse shape (it may come from another copy of the library, e.g. under jest). */
function isHttpResponseLike(value: object): value is HttpResponse {
  const candidate = value as Partial<HttpResponse>;
  return (
    typeof candidate.arrayBuffer === 'function' &&
    typeof candidate.status === 'number' &&
    candidate.headers instanceof Headers &&
    Array.isArray(candidate.cookies)
  );
}

/**
 * Normalises a handler's return value as the library's `toRpcHttp` does: undefined/null means no response
 * (the host then answers 200 with an empty body), an HttpResponse is used as is, any other object is an
 * HttpResponseInit.
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (result === undefined || result === null) return new HttpResponse({ status: 200 });
  if (typeof result !== 'object') {
    throw new InvalidHttpResultError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  if (result instanceof HttpResponse || isHttpResponseLike(result)) return result;
  return new HttpResponse(result as HttpResponseInit);
}

/** Set-Cookie text as ASP.NET Core writes it for the cookies a function returns (path defaults to "/"). */
export function serializeCookie(cookie: Cookie): string {
  const parts = [`${encodeURIComponent(cookie.name)}=${encodeURIComponent(cookie.value)}`];
  if (cookie.expires !== undefined) {
    const expires = cookie.expires instanceof Date ? cookie.expires : new Date(cookie.expires);
    parts.push(`expires=${expires.toUTCString()}`);
  }
  if (cookie.maxAge !== undefined) parts.push(`max-age=${Math.trunc(cookie.maxAge)}`);
  if (cookie.domain) parts.push(`domain=${cookie.domain}`);
  parts.push(`path=${cookie.path || '/'}`);
  if (cookie.secure) parts.push('secure');
  if (cookie.sameSite) parts.push(`samesite=${cookie.sameSite.toLowerCase()}`);
  if (cookie.httpOnly) parts.push('httponly');
  return parts.join('; ');
}

/** Writes an HttpResponse to the socket; extra headers (CORS) are added last. */
export async function writeHttpResponse(
  res: ServerResponse,
  response: HttpResponse,
  method: string,
  extraHeaders: Record<string, string>,
): Promise<void> {
  res.statusCode = response.status;
  const setCookies: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  setCookies.push(...response.headers.getSetCookie());
  for (const cookie of response.cookies) setCookies.push(serializeCookie(cookie));
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);

  const body = response.body;
  if (!body || method === 'HEAD') {
    await body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  // As the worker does without HTTP streaming: the whole body is read, then sent with its length, in one write.
  // Piping the web stream instead sent it chunked, in several writes, through a stream adapter per response.
  const bytes = Buffer.from(await response.arrayBuffer());
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}
