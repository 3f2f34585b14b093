/** Test helpers: the official @microsoft/signalr client against a real emulator. */
import { HttpTransportType, HubConnection, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { RunningEmulator } from '../../src/emulator';

export type ProtocolName = 'json' | 'messagepack';

export const TRANSPORTS: Array<[string, HttpTransportType]> = [
  ['WebSockets', HttpTransportType.WebSockets],
  ['ServerSentEvents', HttpTransportType.ServerSentEvents],
  ['LongPolling', HttpTransportType.LongPolling],
];

/** Every transport x protocol pair the official client accepts (SSE is text-only). */
export const COMBINATIONS: Array<[string, HttpTransportType, ProtocolName]> = [];
for (const [name, transport] of TRANSPORTS) {
  for (const protocol of ['json', 'messagepack'] as const) {
    if (transport === HttpTransportType.ServerSentEvents && protocol === 'messagepack') continue;
    COMBINATIONS.push([`${name}/${protocol}`, transport, protocol]);
  }
}

export function clientUrl(emulator: RunningEmulator, hub: string): string {
  return `${emulator.url}/client/?hub=${hub}`;
}

export interface TokenOptions {
  user?: string;
  key?: string;
  audience?: string;
  expiresInSeconds?: number;
  algorithm?: jwt.Algorithm;
  extraClaims?: Record<string, unknown>;
}

/** The emulator's default (well-known) AccessKey. */
export const EMULATOR_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

/** A REST call the way the service SDK makes it: bearer token with aud = URL without query. Returns the status. */
export async function rest(emulator: RunningEmulator, method: string, path: string, body?: unknown): Promise<number> {
  const url = `${emulator.url}${path}`;
  const token = jwt.sign({}, EMULATOR_KEY, { algorithm: 'HS256', audience: url.split('?')[0], expiresIn: 300 });
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  await response.arrayBuffer();
  return response.status;
}

/** A client token the way the app's negotiate function makes one. */
export function clientToken(emulator: RunningEmulator, hub: string, options: TokenOptions = {}): string {
  const claims: Record<string, unknown> = { ...options.extraClaims };
  if (options.user !== undefined) claims['asrs.s.uid'] = options.user;
  return jwt.sign(claims, options.key ?? EMULATOR_KEY, {
    algorithm: options.algorithm ?? 'HS256',
    audience: options.audience ?? clientUrl(emulator, hub),
    expiresIn: options.expiresInSeconds ?? 3600,
  });
}

export interface TestClient {
  connection: HubConnection;
  /** Every `receive` invocation's arguments, in arrival order. */
  received: unknown[][];
  /** Resolves with the onclose error (undefined for a clean close). */
  closed: Promise<Error | undefined>;
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ConnectOptions {
  hub?: string;
  user?: string;
  transport?: HttpTransportType;
  protocol?: ProtocolName;
  token?: string;
  target?: string;
  /** The client's own ping interval (default 15 s in the client). */
  keepAliveIntervalMs?: number;
}

export async function connectClient(emulator: RunningEmulator, options: ConnectOptions = {}): Promise<TestClient> {
  const hub = options.hub ?? 'chat';
  const token = options.token ?? clientToken(emulator, hub, { user: options.user });
  let builder = new HubConnectionBuilder()
    .withUrl(clientUrl(emulator, hub), {
      transport: options.transport ?? HttpTransportType.WebSockets,
      accessTokenFactory: () => token,
    })
    .configureLogging(LogLevel.None);
  if (options.keepAliveIntervalMs !== undefined) builder = builder.withKeepAliveInterval(options.keepAliveIntervalMs);
  if (options.protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const received: unknown[][] = [];
  const waiters: Array<() => void> = [];
  connection.on(options.target ?? 'receive', (...args: unknown[]) => {
    received.push(args);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<Error | undefined>((resolve) => connection.onclose((error) => resolve(error)));
  await connection.start();
  const waitForCount = async (count: number, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} messages, got ${received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { connection, received, closed, waitForCount, stop: () => connection.stop() };
}

/** Polls a condition until true (state changes that happen on the emulator's side of a socket). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface NegotiateReply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POST /client/negotiate the way the official client does (bearer token, negotiateVersion query). */
export async function negotiate(
  emulator: RunningEmulator,
  hub: string,
  token: string | undefined,
  query = 'negotiateVersion=1',
): Promise<NegotiateReply> {
  const response = await fetch(`${emulator.url}/client/negotiate?hub=${hub}${query ? `&${query}` : ''}`, {
    method: 'POST',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

export interface RawSocket {
  ws: WebSocket;
  /** Text frames and binary frames as they arrived. */
  frames: Array<string | Buffer>;
  closed: Promise<number>;
  waitForFrames(count: number, timeoutMs?: number): Promise<void>;
}

/** A WebSocket speaking the wire protocol by hand: negotiate, connect, nothing else. */
export async function openRawSocket(emulator: RunningEmulator, hub: string, user: string): Promise<RawSocket> {
  const token = clientToken(emulator, hub, { user });
  const reply = await negotiate(emulator, hub, token);
  const connectionToken = String(reply.body.connectionToken);
  const ws = new WebSocket(`${emulator.url.replace('http', 'ws')}/client/?hub=${hub}&id=${connectionToken}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const frames: Array<string | Buffer> = [];
  ws.on('message', (data, isBinary) => {
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    frames.push(isBinary ? buffer : buffer.toString('utf8'));
  });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const waitForFrames = async (count: number, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${frames.length}`);
      await delay(5);
    }
  };
  return { ws, frames, closed, waitForFrames };
}
