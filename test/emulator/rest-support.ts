/**
 * Shared helpers for the emulator REST tests: service tokens signed like the official SDK, and a small
 * HTTP client that returns status, headers and parsed body.
 */
import jwt from 'jsonwebtoken';

export const ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

/** The official SDK's REST audience: no port, query limited to application and api-version. */
export function sdkAudience(baseUrl: string, pathAndQuery: string): string {
  const url = new URL(pathAndQuery, baseUrl);
  const kept = new URLSearchParams();
  for (const [k, v] of url.searchParams) if (k === 'application' || k === 'api-version') kept.append(k, v);
  const query = kept.toString();
  return `${url.protocol}//${url.hostname}${url.pathname}${query ? `?${query}` : ''}`;
}

export function serviceToken(aud: string, options: { key?: string; expiresIn?: number; payload?: Record<string, unknown> } = {}): string {
  return jwt.sign({ aud, ...options.payload }, options.key ?? ACCESS_KEY, {
    algorithm: 'HS256',
    expiresIn: options.expiresIn ?? 300,
  });
}

export interface SimpleResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string | Buffer;
  /** false: no Authorization header; a string: that header value; default: a valid SDK-form token. */
  auth?: false | string;
  headers?: Record<string, string>;
}

export async function call(baseUrl: string, method: string, pathAndQuery: string, options: RequestOptions = {}): Promise<SimpleResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth === undefined) headers.Authorization = `Bearer ${serviceToken(sdkAudience(baseUrl, pathAndQuery))}`;
  else if (options.auth !== false) headers.Authorization = options.auth;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${baseUrl}${pathAndQuery}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
