/**
 * A small local Functions host: loads the app through `@azure/functions-core` (see functionsCore.ts) and
 * serves its `app.http` registrations over HTTP like `func start` does, for machines without Core Tools.
 *
 * Behaviour copied from the Functions host / Core Tools:
 * - routes: `{routePrefix}/{route ?? functionName}`, ASP.NET templates and precedence (routeTemplate.ts);
 * - a known route with a method the function does not accept gives 404, as the host does
 *   (Azure/azure-functions-host#10098); `methodMismatchStatus: 405` switches to 405 + Allow;
 * - authLevel function/admin is NOT enforced: Core Tools do not check keys locally either;
 * - a handler that returns nothing gives 200 with an empty body (the host's OkResult);
 * - CORS from local.settings.json `Host` (cors.ts);
 * - GET / shows a small "up and running" page unless a function owns that route or
 *   AzureWebJobsDisableHomepage=true.
 * Different on purpose: an unhandled error gives 500 with a JSON body
 * `{error:{code:'InternalServerError', message}}` that names the invocation but never the error itself.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { LogLevel } from '@azure/functions';
import { RequestAdmission } from './admission';
import { EventLoopBusyMonitor, TOO_BUSY_LAG_MS } from './busyMonitor';
import { loadApp } from './appLoader';
import { createCorsPolicy, isPreflight, preflightHeaders, actualRequestHeaders, type CorsPolicy } from './cors';
import { functionsCore, type Registrations } from './functionsCore';
import { buildFunctionTable, findRoute, type FunctionTable } from './functionTable';
import { readHostJson } from './hostJson';
import {
  readRequestBody,
  RequestTooLargeError,
  requestUrl,
  toHttpRequest,
  toHttpResponse,
  writeHttpResponse,
} from './httpAdapter';
import { invokeFunction, type BindingHandler } from './invoke';
import { consoleLogWriter, formatLogLine, passesLevel, type LogWriter } from './logger';
import { createRedactor } from './redact';
import { sendEmpty, sendHomepage, sendJson, sendJsonError } from './hostReplies';
import { splitPath } from './routeTemplate';

export const defaultLocalHttpPort = 7071;
/**
 * How long an idle kept-alive connection stays open: Kestrel's default (2 min 10 s), which fronts the real host,
 * instead of Node's 5 s. Not only for fidelity: Node accepts one new connection per turn of its event loop (libuv
 * since 1.45), so a busy host accepts a few dozen a second. Callers whose idle connections were dropped reconnect
 * in a burst just when load rises; the 511-entry listen queue overflows, the kernel drops their SYNs, and each
 * waits for a 1 s or 3 s retransmission before the host's own throttles (429) can even see the request.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 130_000;

export const defaultLocalHost = '127.0.0.1';

export interface LocalHostOptions {
  /** The function app directory (package.json, host.json). Default: process.cwd(). */
  projectRoot?: string;
  /** Overrides package.json `main` (a file or glob relative to projectRoot). */
  entry?: string;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 7071. */
  port?: number;
  /** Overrides host.json `extensions.http.routePrefix`. */
  routePrefix?: string;
  /** CORS from local.settings.json `Host.CORS` / `Host.CORSCredentials`; off when absent or empty. */
  cors?: { origins: string[]; credentials: boolean };
  /** 404 (the host's behaviour, default) or 405 with an Allow header for a known route with another method. */
  methodMismatchStatus?: 404 | 405;
  /** Where log lines go. Default: console. */
  logWriter?: LogWriter;
  /** Providers for extra input/output binding types (lower-case type name), e.g. to emulate an output binding. */
  bindingHandlers?: Record<string, BindingHandler>;
  /** Environment used for redaction and AzureWebJobsDisableHomepage. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface LocalHostFunctionInfo {
  name: string;
  methods: string[] | 'ALL';
  url: string;
  authLevel: string;
}

export interface LocalHost {
  /** Base URL, e.g. http://127.0.0.1:7071 (no trailing slash). */
  url: string;
  host: string;
  port: number;
  routePrefix: string;
  functions: LocalHostFunctionInfo[];
  /** Function requests held now, running or waiting for a slot (host.json throttles). */
  outstandingRequests(): number;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`Port ${port} on ${host} is already in use.`);
  }
}

interface HostState {
  table: FunctionTable;
  admission: RequestAdmission;
  /** Present when host.json enables dynamic throttles. */
  busy: EventLoopBusyMonitor | undefined;
  registrations: Registrations;
  cors: CorsPolicy | undefined;
  methodMismatchStatus: 404 | 405;
  appHookData: Record<string, unknown>;
  bindingHandlers: Record<string, BindingHandler>;
  env: NodeJS.ProcessEnv;
  log: (level: LogLevel, source: string, message: string, invocationContext?: unknown) => void;
  homepage: boolean;
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const projectRoot = path.resolve(options.projectRoot ?? process.cwd());
  const env = options.env ?? process.env;
  const hostJson = readHostJson(projectRoot);
  const routePrefix = (options.routePrefix ?? hostJson.routePrefix).replace(/^\/+|\/+$/g, '');
  const writer = options.logWriter ?? consoleLogWriter;
  const redact = createRedactor(env);

  const { registrations } = loadApp(projectRoot, options.entry);
  const table = buildFunctionTable(registrations.functions, routePrefix);

  const minimumLevel = (source: string): LogLevel =>
    hostJson.logLevels.get(`function.${source.toLowerCase()}`) ??
    hostJson.logLevels.get('function') ??
    hostJson.logLevels.get('default') ??
    'information';
  const log: HostState['log'] = (level, source, message, invocationContext) => {
    // `app.hook.log` hooks see (and may change) every log, as in the worker.
    const logContext = { level, message, category: 'user', invocationContext, hookData: {}, appHookData };
    for (const hook of registrations.hooksNamed('log')) hook(logContext);
    if (!passesLevel(logContext.level, minimumLevel(source))) return;
    writer(logContext.level, formatLogLine(source, redact(String(logContext.message))));
  };
  const appHookData: Record<string, unknown> = {};
  functionsCore.setSystemLog((level, _category, message) => {
    if (passesLevel(level, 'warning')) writer(level, formatLogLine('Host', redact(message)));
  });

  for (const skipped of table.skipped) {
    log('warning', 'Host', `Function "${skipped.name}" (${skipped.triggerType}) is not run by the local host: only HTTP triggers are.`);
  }

  // App start hooks run after the entry files are loaded and before requests are served, as in the worker.
  for (const hook of registrations.hooksNamed('appStart')) {
    await hook({ hookData: {}, appHookData, functionAppDirectory: projectRoot });
  }

  const state: HostState = {
    table,
    admission: new RequestAdmission(hostJson.maxConcurrentRequests, hostJson.maxOutstandingRequests),
    busy: hostJson.dynamicThrottlesEnabled ? new EventLoopBusyMonitor() : undefined,
    registrations,
    cors: options.cors ? createCorsPolicy(options.cors.origins, options.cors.credentials) : undefined,
    methodMismatchStatus: options.methodMismatchStatus ?? 404,
    appHookData,
    bindingHandlers: Object.fromEntries(
      Object.entries(options.bindingHandlers ?? {}).map(([type, handler]) => [type.toLowerCase(), handler]),
    ),
    env,
    log,
    homepage: !/^(true|1)$/i.test(env.AzureWebJobsDisableHomepage ?? ''),
  };

  const server = http.createServer((req, res) => {
    handleRequest(state, req, res).catch((error: unknown) => {
      log('error', 'Host', `Request failed: ${(error as Error).message}`);
      if (!res.headersSent) sendJsonError(res, 500, 'InternalServerError', 'The request could not be processed.');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  const bindHost = options.host ?? defaultLocalHost;
  await listen(server, bindHost, options.port ?? defaultLocalHttpPort);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    host: bindHost,
    port,
    routePrefix,
    // By name, for printing (the route table itself stays in precedence order).
    functions: table.httpFunctions
      .map((fn) => ({ name: fn.name, methods: fn.methods ?? ('ALL' as const), url: `${url}/${fn.routeTemplate}`, authLevel: fn.authLevel }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    outstandingRequests: () => state.admission.outstanding,
    close: () => {
      closing ??= (async () => {
        state.busy?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const hook of registrations.hooksNamed('appTerminate')) {
          await hook({ hookData: {}, appHookData });
        }
      })();
      return closing;
    },
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function handleRequest(state: HostState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();

  if (state.cors && isPreflight(method, req.headers)) {
    req.resume();
    sendEmpty(res, 204, preflightHeaders(state.cors, req.headers));
    return;
  }
  const corsHeaders = actualRequestHeaders(state.cors, req.headers);

  const url = requestUrl(req, 'localhost');
  const rawPath = new URL(url).pathname;
  const segments = splitPath(rawPath);
  const lookup = findRoute(state.table, segments, method);

  if (lookup.kind !== 'found') {
    req.resume();
    if (segments.length === 0 && (method === 'GET' || method === 'HEAD') && state.homepage) {
      sendHomepage(res, method, corsHeaders);
    } else if (segments.length === 3 && segments.join('/').toLowerCase() === 'admin/host/status' && method === 'GET') {
      sendJson(res, 200, { state: 'Running', version: functionsCore.hostVersion }, corsHeaders);
    } else if (lookup.kind === 'methodNotAllowed' && state.methodMismatchStatus === 405) {
      sendEmpty(res, 405, { ...corsHeaders, allow: lookup.allowed.join(', ') });
    } else {
      sendEmpty(res, 404, corsHeaders);
    }
    return;
  }

  if (state.busy?.tooBusy() === true) {
    // Refused before anything else is spent on it: answering at once is how a saturated host catches up.
    req.resume();
    sendJsonError(res, 429, 'TooManyRequests', `The host is too busy: its event loop has been running over ${TOO_BUSY_LAG_MS} ms late, last ${Math.round(state.busy.lagMs)} ms (host.json extensions.http.dynamicThrottlesEnabled); retry shortly.`, { ...corsHeaders, 'retry-after': '1' });
    return;
  }
  const admission = state.admission.enter();
  if (admission.kind === 'refused') {
    req.resume();
    sendJsonError(res, 429, 'TooManyRequests', `The host already holds ${state.admission.outstanding} requests (host.json extensions.http.maxOutstandingRequests); retry shortly.`, { ...corsHeaders, 'retry-after': '1' });
    return;
  }
  const release = admission.kind === 'admitted' ? admission.release : await admission.admitted;
  try {
    let body: Buffer;
    try {
      body = await readRequestBody(req);
    } catch (error) {
      if (error instanceof RequestTooLargeError) {
        sendJsonError(res, 413, 'RequestEntityTooLarge', error.message, { ...corsHeaders, connection: 'close' });
        return;
      }
      throw error;
    }

    const { fn, params } = lookup;
    const request = toHttpRequest(req, url, body, params);
    const started = Date.now();
    const invocationId = randomUUID();
    state.log('debug', 'Host', `Executing '${fn.name}' (${method} ${rawPath}, Id=${invocationId})`);
    try {
      const { result } = await invokeFunction({
        fn,
        invocationId,
        trigger: request,
        registrations: state.registrations,
        appHookData: state.appHookData,
        log: (level, functionName, message) => state.log(level, functionName, message),
        bindingHandlers: state.bindingHandlers,
      });
      const response = toHttpResponse(result);
      state.log('information', 'Host', `Executed '${fn.name}' (${method} ${rawPath} -> ${response.status}, ${Date.now() - started}ms, Id=${invocationId})`);
      await writeHttpResponse(res, response, method, corsHeaders);
    } catch (error) {
      // The message goes to the log (secrets removed); the client sees no detail and no stack.
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      state.log('error', fn.name, `Executed '${fn.name}' (Failed, Id=${invocationId}): ${message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJsonError(
        res,
        500,
        'InternalServerError',
        `Function '${fn.name}' failed (invocation ${invocationId}). See the host log for details.`,
        corsHeaders,
      );
    }
  } finally {
    release();
  }
}

