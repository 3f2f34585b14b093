/**
 * Small helpers shared by the reliability suites (not a test file: jest only runs *.test.ts).
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { signHs256, clientClaims } from '../support/jwtForge';
import type { ClientCredentials } from '../support/loadClients';

/** Client credentials for `userId` on `hub` of an emulator at `baseUrl`, signed with `accessKey`. */
export function credentialsFor(baseUrl: string, accessKey: string, hub: string, userId?: string): ClientCredentials {
  return { url: `${baseUrl}/client/?hub=${hub}`, accessToken: signHs256(clientClaims(baseUrl, hub, userId), accessKey) };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; rejects on the first failure. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && failed === undefined) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== undefined) throw failed;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Clears the app settings `names` from the environment; the returned function puts back what was there. */
export function clearSettings(names: readonly string[]): () => void {
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  for (const k of names) delete process.env[k];
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

// ---- calling the functions directly (real HttpRequest / InvocationContext from @azure/functions) ----


/**
 * app.http() warns "Skipping call to register function ... test mode" outside the host, and
 * @azure/functions warns when it cannot parse a (fuzzed) x-ms-client-principal header: both expected here.
 */
export function silenceRegistrationWarnings(): void {
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && (args[0].includes('test mode') || args[0].includes('x-ms-client-principal header'))) return;
    original(...args);
  };
}

export interface FunctionCall {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  /** Sent as is (a string is not JSON-encoded again). */
  body?: string | Buffer;
}

export interface FunctionResult {
  status: number;
  jsonBody: unknown;
  /** Every log line the invocation wrote, joined. */
  logs: string[];
}

export type FunctionHandler = (request: HttpRequest, context: InvocationContext) => unknown;

export async function callFunction(handler: FunctionHandler, spec: FunctionCall, functionName = 'fn'): Promise<FunctionResult> {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: 'reliability-invocation',
    functionName,
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}\n${a.stack ?? ''}` : String(a))).join(' ')}`),
  });
  const init: ConstructorParameters<typeof HttpRequest>[0] = {
    method: spec.method ?? 'POST',
    url: `http://localhost:7071/api/${spec.path ?? functionName}`,
    headers: spec.headers ?? {},
    query: spec.query ?? {},
    params: spec.params ?? {},
  };
  if (spec.body !== undefined) init.body = typeof spec.body === 'string' ? { string: spec.body } : { bytes: spec.body };
  const response = ((await handler(new HttpRequest(init), context)) ?? {}) as HttpResponseInit;
  return { status: response.status ?? 200, jsonBody: response.jsonBody, logs };
}

/** The app's JSON error shape `{error: {code, message, field?}}`, or undefined when the body is not one. */
export function appErrorOf(result: FunctionResult): { code: string; message: string; field?: string } | undefined {
  const body = result.jsonBody as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined;
  if (body?.error === undefined || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') return undefined;
  return { code: body.error.code, message: body.error.message, ...(typeof body.error.field === 'string' ? { field: body.error.field } : {}) };
}
