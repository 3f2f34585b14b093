/**
 * Helpers to call the functions without the Functions host: real HttpRequest / InvocationContext objects
 * from @azure/functions, and a connection string pointing at a real local RecordingServer.
 *
 * Import this module FIRST in a test file: it drops the "Skipping call to register function ... test mode"
 * warning that app.http prints when a function module is imported outside the host (expected here).
 */
import { HttpRequest, InvocationContext, type HttpResponse, type HttpResponseInit } from '@azure/functions';
import jwt from 'jsonwebtoken';
import { RecordingServer, type Responder, type ScriptedResponse } from '../support/recordingServer';
import { resetSignalRServiceCache } from '../../src/client/service';

const originalWarn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  // Also expected: @azure/functions warns when a test sends a malformed x-ms-client-principal header.
  if (typeof args[0] === 'string' && (args[0].includes('test mode') || args[0].includes('x-ms-client-principal header'))) return;
  originalWarn(...args);
};

export const ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

export function connectionStringFor(server: RecordingServer): string {
  return `Endpoint=${server.url};AccessKey=${ACCESS_KEY};Version=1.0;`;
}

/** Settings the functions read; each test sets exactly what it needs. */
export const SETTING_NAMES = [
  'AzureSignalRConnectionString',
  'SignalRHubName',
  'SignalRAllowClientUserId',
  'SignalRTokenLifetimeSeconds',
  'SignalRRestTimeoutMs',
] as const;

export type Settings = Partial<Record<(typeof SETTING_NAMES)[number], string>>;

export function setSettings(values: Settings): void {
  for (const name of SETTING_NAMES) delete process.env[name];
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) process.env[name] = value;
  }
}

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export function makeRequest(spec: RequestSpec = {}): HttpRequest {
  const init: ConstructorParameters<typeof HttpRequest>[0] = {
    method: spec.method ?? 'POST',
    url: `http://localhost:7071/api/${spec.path ?? 'test'}`,
    headers: spec.headers ?? {},
    query: spec.query ?? {},
    params: spec.params ?? {},
  };
  if (spec.body !== undefined) init.body = { string: typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body) };
  return new HttpRequest(init);
}

export interface LogLine {
  level: string;
  text: string;
}

export function makeContext(functionName = 'test'): { context: InvocationContext; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const context = new InvocationContext({
    invocationId: 'test-invocation',
    functionName,
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }),
  });
  return { context, logs };
}

export interface CallResult {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  logs: LogLine[];
  context: InvocationContext;
}

type Handler = (request: HttpRequest, context: InvocationContext) => unknown;

/** Calls a handler and returns status and parsed JSON body (undefined when there is none). */
export async function call(handler: Handler, spec: RequestSpec = {}, functionName = 'test'): Promise<CallResult> {
  const { context, logs } = makeContext(functionName);
  const response = (await handler(makeRequest(spec), context)) as HttpResponseInit | HttpResponse | undefined;
  const init = (response ?? {}) as HttpResponseInit;
  const headers: Record<string, string> = {};
  if (init.headers !== undefined && !(init.headers instanceof Headers) && !Array.isArray(init.headers)) Object.assign(headers, init.headers);
  return { status: init.status ?? 200, body: init.jsonBody, headers, logs, context };
}

/** Narrows a JSON error body `{error: {code, message, field?}}` and fails the test otherwise. */
export function errorOf(result: CallResult): { code: string; message: string; field?: string } {
  const body = result.body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined;
  if (body?.error === undefined || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`expected a JSON error body, got status ${result.status} ${JSON.stringify(result.body)}`);
  }
  const error: { code: string; message: string; field?: string } = { code: body.error.code, message: body.error.message };
  if (typeof body.error.field === 'string') error.field = body.error.field;
  return error;
}

/** Verifies a token with the test access key (HS256) and returns its claims. */
export function verifyToken(token: string): jwt.JwtPayload {
  const payload = jwt.verify(token, ACCESS_KEY, { algorithms: ['HS256'] });
  if (typeof payload === 'string') throw new Error('expected a JSON token payload');
  return payload;
}

/** Builds an unsigned-looking id token (signature irrelevant: the binding never validates it). */
export function idTokenWith(claims: Record<string, unknown>): string {
  return jwt.sign(claims, 'some-other-secret-the-function-never-sees', { algorithm: 'HS256' });
}

/** Asserts nothing in the response or logs leaks the access key or a bearer token. */
export function expectNoSecrets(result: CallResult): void {
  const everything = JSON.stringify(result.body) + result.logs.map((l) => l.text).join('\n');
  expect(everything).not.toContain(ACCESS_KEY);
  expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  expect(everything).not.toMatch(/\n\s+at /); // no stack trace
}

/**
 * The lifecycle every function test against a recording service shares: one RecordingServer for the file,
 * emptied and given `respond` before each test, AzureSignalRConnectionString pointing at it (plus
 * `settings`), and the cached services dropped at the end. Returns a getter: the server exists only once
 * beforeAll has run.
 */
export function useRecordingService(options: { respond?: ScriptedResponse | Responder; settings?: Settings } = {}): () => RecordingServer {
  const respond = options.respond ?? { status: 202 };
  let server: RecordingServer | undefined;
  beforeAll(async () => {
    server = await RecordingServer.start(respond);
  });
  afterAll(async () => {
    resetSignalRServiceCache();
    await server?.close();
  });
  beforeEach(() => {
    const current = recording();
    current.requests.length = 0;
    current.respondWith(respond);
    setSettings({ ...options.settings, AzureSignalRConnectionString: connectionStringFor(current) });
  });
  const recording = (): RecordingServer => {
    if (server === undefined) throw new Error('the recording service starts in beforeAll');
    return server;
  };
  return recording;
}
