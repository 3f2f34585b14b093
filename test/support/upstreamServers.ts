/**
 * Real HTTP servers on 127.0.0.1 (free ports) standing where the service's upstream calls go:
 * - `startHandlerServer` serves an @azure/functions HTTP handler (the app's upstream endpoint) through the local
 *   host's own request/response adapter, so a test exercises the real function types over real HTTP;
 * - `startScriptedUpstream` answers from a script (echo the invocation as a Completion, a status, a delay, a
 *   raw body), for testing what the emulator does with each kind of answer.
 * Both record every call: headers and raw body.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvocationContext, type HttpHandler } from '@azure/functions';
import { readRequestBody, requestUrl, toHttpRequest, toHttpResponse, writeHttpResponse } from '../../src/localhost/httpAdapter';
import type { HubProtocol } from '../../src/protocol/hubProtocol';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol } from '../../src/protocol/messagePackProtocol';
import { MessageType, type HubProtocolMessage } from '../../src/protocol/messages';

export interface UpstreamCall {
  path: string;
  /** Query string without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The hub message of a `messages` call, decoded with the protocol its content type names. */
  message?: HubProtocolMessage;
  receivedAt: number;
}

export interface RunningUpstream {
  url: string;
  calls: UpstreamCall[];
  /** Log lines of the served function (handler servers). */
  logs: string[];
  /** Resolves once `count` calls have arrived. */
  waitForCalls(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function protocolForContentType(contentType: string | undefined): HubProtocol | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' ? jsonProtocol : media === 'application/x-msgpack' ? messagePackProtocol : undefined;
}

function decodeMessage(headers: IncomingHttpHeaders, body: Buffer): HubProtocolMessage | undefined {
  if (headers['x-asrs-category'] !== 'messages') return undefined;
  return protocolForContentType(headers['content-type'])?.deserialize(body);
}

async function listen(server: http.Server, sockets: Set<Socket>): Promise<string> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function running(server: http.Server, sockets: Set<Socket>, url: string, calls: UpstreamCall[], logs: string[]): RunningUpstream {
  return {
    url,
    calls,
    logs,
    async waitForCalls(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} upstream calls, got ${calls.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Serves `handler` at every path, as the local Functions host would serve the function. */
export async function startHandlerServer(handler: HttpHandler, functionName = 'signalRUpstream'): Promise<RunningUpstream> {
  const calls: UpstreamCall[] = [];
  const logs: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readRequestBody(req);
      const url = requestUrl(req, '127.0.0.1');
      calls.push({ path: new URL(url).pathname, query: new URL(url).search.replace(/^\?/, ''), headers: req.headers, body, message: safeDecode(req.headers, body), receivedAt: Date.now() });
      const context = new InvocationContext({
        functionName,
        invocationId: `test-${calls.length}`,
        logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
      });
      const result = await handler(toHttpRequest(req, url, body, {}), context);
      await writeHttpResponse(res, toHttpResponse(result), req.method ?? 'POST', {});
    })().catch((error: unknown) => {
      logs.push(`server error: ${String(error)}`);
      res.statusCode = 500;
      res.end();
    });
  });
  return running(server, sockets, await listen(server, sockets), calls, logs);
}

function safeDecode(headers: IncomingHttpHeaders, body: Buffer): HubProtocolMessage | undefined {
  try {
    return decodeMessage(headers, body);
  } catch {
    return undefined;
  }
}

/** What a scripted upstream does with one call. */
export type UpstreamScript =
  | { kind: 'echo'; delayMs?: number }
  | { kind: 'status'; status: number; body?: string | Buffer; contentType?: string; delayMs?: number }
  | { kind: 'hang' };

/**
 * Answers every call by `script(call)`. `echo` answers an invocation with a framed Completion (in the call's
 * protocol) whose result is `{target, arguments}`, and a connection event or a send with an empty 200.
 */
export async function startScriptedUpstream(script: (call: UpstreamCall) => UpstreamScript = () => ({ kind: 'echo' })): Promise<RunningUpstream> {
  const calls: UpstreamCall[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call: UpstreamCall = { path: req.url?.split('?')[0] ?? '/', query: req.url?.split('?')[1] ?? '', headers: req.headers, body, message: safeDecode(req.headers, body), receivedAt: Date.now() };
      calls.push(call);
      const action = script(call);
      if (action.kind === 'hang') return;
      const answer = (): void => {
        if (action.kind === 'status') {
          res.writeHead(action.status, action.contentType === undefined ? {} : { 'content-type': action.contentType });
          res.end(action.body);
          return;
        }
        const message = call.message;
        const protocol = protocolForContentType(req.headers['content-type']);
        if (message?.type !== MessageType.Invocation || message.invocationId === undefined || protocol === undefined) {
          res.writeHead(200);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': protocol.contentType });
        res.end(protocol.write({ type: MessageType.Completion, invocationId: message.invocationId, result: { target: message.target, arguments: message.arguments }, hasResult: true }));
      };
      if (action.delayMs === undefined) answer();
      else setTimeout(answer, action.delayMs);
    });
  });
  return running(server, sockets, await listen(server, sockets), calls, []);
}
