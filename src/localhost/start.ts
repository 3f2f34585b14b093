/**
 * `npm start`: run the function app locally with everything it needs.
 *
 * 1. local.settings.json (created from the example if missing) -> environment, without overriding it;
 * 2. the SignalR emulator, in process, when AzureSignalRConnectionString points at localhost and nothing
 *    serves that port yet;
 * 3. the functions on port 7071: `func start` when Azure Functions Core Tools work here, otherwise our own
 *    local host (src/localhost/host.ts) serving the same `app.http` registrations.
 *
 * Options (flags win over environment variables):
 *   --port <n> / -p <n>, FUNCTIONS_HTTP_PORT, PORT     HTTP port (default Host.LocalHttpPort, then 7071)
 *   --project-root <dir>, FUNCTIONS_PROJECT_ROOT        function app directory (default: current directory)
 *   --no-emulator, SIGNALR_EMULATOR_AUTOSTART=false     never start the emulator
 *   --no-func, FUNCTIONS_USE_LOCAL_HOST=true            never use Core Tools, always our host
 *   --endpoints <n>                                     n emulators as n SignalR Service endpoints (1-9), see
 *                                                       emulatorEndpoints.ts
 * Exit codes: 0 after Ctrl-C / SIGTERM, 1 on a startup error (one line on stderr, no stack trace).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { parseArgs as parseCommandLine } from 'util';
import { findCoreTools } from './coreTools';
import { planEmulator, startEmulatorFor, type EmulatorPlan } from './emulatorAutostart';
import { MAX_LOCAL_ENDPOINTS, planEmulatorEndpoints, startEmulatorEndpoints, type LocalEndpointsPlan } from './emulatorEndpoints';
import { defaultLocalHost, defaultLocalHttpPort, PortInUseError, startLocalHost, type LocalHost } from './host';
import { readHostJson } from './hostJson';
import { canBind } from './ports';
import { redactSecrets } from './redact';
import { loadLocalSettings, localSettingsExampleFileName, localSettingsFileName } from './settings';

/**
 * The page to open, relative to the route prefix: the chat page function serves `chat/{*asset}`.
 * The integrator sets this one constant if the page moves (e.g. to '' with an empty route prefix).
 */
export const CHAT_PAGE_ROUTE = 'chat/';
/** Host name used in printed URLs (the servers bind 127.0.0.1, which localhost reaches). */
export const PUBLIC_HOSTNAME = 'localhost';

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface StartOptions {
  projectRoot: string;
  port?: number;
  emulator: boolean;
  useCoreTools: boolean;
  /** Run this many emulators as the app's SignalR Service endpoints. */
  endpoints?: number;
}

function isFalse(value: string | undefined): boolean {
  return value !== undefined && /^(false|0|no|off)$/i.test(value.trim());
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|1|yes|on)$/i.test(value.trim());
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port < 0 || port > 65535) throw new StartupError(`${source} must be a port number 0-65535, got "${text}".`);
  return port;
}

const START_OPTIONS = {
  port: { type: 'string', short: 'p' },
  'project-root': { type: 'string' },
  'no-emulator': { type: 'boolean' },
  'no-func': { type: 'boolean' },
  endpoints: { type: 'string' },
} as const;

const KNOWN_OPTIONS = 'Known: --port <n>, --project-root <dir>, --no-emulator, --no-func, --endpoints <n>.';

/** The command line, read with node:util's parseArgs; a mistake is a StartupError naming the option. */
function readStartCommandLine(argv: string[]) {
  try {
    return parseCommandLine({ args: argv, options: START_OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const option = /--[\w-]+/.exec(message)?.[0] ?? /'([^']*)'/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(message)) throw new StartupError(`${option} needs a value.`);
    throw new StartupError(`Unknown option ${option}. ${KNOWN_OPTIONS}`);
  }
}

export function parseStartArguments(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  const options: StartOptions = {
    projectRoot: path.resolve(env.FUNCTIONS_PROJECT_ROOT ?? process.cwd()),
    emulator: !isFalse(env.SIGNALR_EMULATOR_AUTOSTART),
    useCoreTools: !isTrue(env.FUNCTIONS_USE_LOCAL_HOST),
  };
  const envPort = env.FUNCTIONS_HTTP_PORT ?? env.PORT;
  if (envPort !== undefined && envPort.trim() !== '') {
    options.port = parsePort(envPort, env.FUNCTIONS_HTTP_PORT !== undefined ? 'FUNCTIONS_HTTP_PORT' : 'PORT');
  }
  const { values } = readStartCommandLine(argv);
  if (values.port !== undefined) options.port = parsePort(values.port, '--port');
  if (values['project-root'] !== undefined) options.projectRoot = path.resolve(values['project-root']);
  if (values['no-emulator'] === true) options.emulator = false;
  if (values['no-func'] === true) options.useCoreTools = false;
  if (values.endpoints !== undefined) {
    const count = Number(values.endpoints);
    if (!/^\d+$/.test(values.endpoints) || count < 1 || count > MAX_LOCAL_ENDPOINTS) {
      throw new StartupError(`--endpoints must be a number of emulators from 1 to ${MAX_LOCAL_ENDPOINTS}, got "${values.endpoints}".`);
    }
    if (values['no-emulator'] === true) throw new StartupError('--endpoints starts emulators; it cannot be combined with --no-emulator.');
    options.endpoints = count;
  }
  return options;
}

export interface Running {
  stop(): Promise<void>;
  /** Set when Core Tools run as a child process: resolves with their exit code. */
  exited?: Promise<number>;
}

export async function start(options: StartOptions, print: (line: string) => void = console.log): Promise<Running> {
  const settings = loadLocalSettings(options.projectRoot);
  if (settings.created) print(`Created ${localSettingsFileName} from ${localSettingsExampleFileName}.`);

  const port = options.port ?? settings.host.localHttpPort ?? defaultLocalHttpPort;
  // Check the HTTP port first so a taken port fails fast, before anything is started.
  if (port !== 0 && !(await canBind(defaultLocalHost, port))) throw new PortInUseError(defaultLocalHost, port);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    // --endpoints: the settings of n emulators, set now (Core Tools read the environment when they start); the
    // emulators themselves start once the functions run, like the single one, so they know the upstream URL.
    const localEndpoints = options.endpoints === undefined ? undefined : await planEmulatorEndpoints(options.endpoints);
    if (localEndpoints !== undefined) {
      print(`SignalR emulators as ${localEndpoints.endpoints.length} endpoint${localEndpoints.endpoints.length === 1 ? '' : 's'} (AzureSignalRConnectionString left empty):`);
      for (const endpoint of localEndpoints.endpoints) print(`  ${endpoint.setting}: ${endpoint.describe}`);
    }
    const plan: EmulatorPlan =
      localEndpoints !== undefined ? { kind: 'none', reason: 'the endpoints above are used' }
      : options.emulator ? await planEmulator()
      : { kind: 'none', reason: 'disabled by --no-emulator' };
    if (plan.kind !== 'none') {
      // describe() puts the port inside Endpoint, the one form every client takes (Dapr ignores Port=).
      print(`AzureSignalRConnectionString: ${plan.describe}`);
      print("  (port inside Endpoint: use this form, with your AccessKey, for Dapr's bindings.azure.signalr)");
    } else if (process.env.AzureSignalRConnectionString) {
      print(`AzureSignalRConnectionString: ${redactSecrets(process.env.AzureSignalRConnectionString)} (${plan.reason})`);
    }

    const routePrefix = readHostJson(options.projectRoot).routePrefix;
    const pageUrl = `http://${PUBLIC_HOSTNAME}:${port}/${routePrefix ? `${routePrefix}/` : ''}${CHAT_PAGE_ROUTE}`;

    // The functions start first: the emulator's upstream points at the port they actually got.
    const coreTools = options.useCoreTools ? findCoreTools(options.projectRoot) : undefined;
    if (coreTools) {
      print(`Azure Functions Core Tools ${coreTools.version} found: running "func start".`);
      const child = spawnCoreTools(coreTools.command, options, port);
      stops.push(() => stopChild(child));
      const upstreamPath = `/${routePrefix ? `${routePrefix}/` : ''}${UPSTREAM_ROUTE}`;
      await startPlannedEmulator(plan, `http://127.0.0.1:${port}${upstreamPath}`, stops, print);
      await startLocalEndpoints(localEndpoints, `http://127.0.0.1:${port}${upstreamPath}`, stops, print);
      print(`Open ${pageUrl}`);
      return { stop: stopAll, exited: childExit(child) };
    }

    const host: LocalHost = await startLocalHost({
      projectRoot: options.projectRoot,
      port,
      cors: { origins: settings.host.corsOrigins, credentials: settings.host.corsCredentials },
    });
    stops.push(() => host.close());
    print(`Local functions host (Core Tools not available) listening on ${host.url}`);
    print('Functions:');
    for (const fn of host.functions) {
      const methods = fn.methods === 'ALL' ? 'ALL' : fn.methods.join(',');
      print(`  ${fn.name}: [${methods}] ${fn.url.replace(host.url, `http://${PUBLIC_HOSTNAME}:${host.port}`)}`);
    }
    const upstreamFunction = host.functions.find((fn) => fn.name === UPSTREAM_FUNCTION_NAME);
    await startPlannedEmulator(plan, upstreamFunction?.url, stops, print);
    await startLocalEndpoints(localEndpoints, upstreamFunction?.url, stops, print);
    print(`Open ${pageUrl.replace(`:${port}/`, `:${host.port}/`)}`);
    print('Press Ctrl+C to stop.');
    return { stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The function that receives the emulator's upstream calls, and its route (functions/signalRUpstream.ts). */
const UPSTREAM_FUNCTION_NAME = 'signalRUpstream';
const UPSTREAM_ROUTE = 'signalr/upstream';

/**
 * Starts the emulator the plan asks for, sending client events (connections, hub method invocations) to the
 * app's upstream function; or says how to point an emulator that is already running at it.
 */
async function startPlannedEmulator(plan: EmulatorPlan, upstreamUrl: string | undefined, stops: (() => Promise<void>)[], print: (line: string) => void): Promise<void> {
  if (plan.kind === 'start') {
    const emulator = await startEmulatorFor(plan, upstreamUrl);
    stops.push(() => emulator.close());
    print(`SignalR emulator started at ${emulator.url}`);
    print(upstreamUrl === undefined ? 'Upstream: none (the app has no signalRUpstream function); client invocations are not forwarded.' : `Upstream: client events and hub method invocations go to ${upstreamUrl}`);
  } else if (plan.kind === 'reuse') {
    print(`Using the SignalR emulator already running on port ${plan.port}.`);
    if (upstreamUrl !== undefined) print(`  It forwards hub method invocations to this app only if it was started with --upstream ${upstreamUrl}`);
  }
}

/** Starts the emulators of `--endpoints`, when asked for, with the same upstream as the single one. */
async function startLocalEndpoints(plan: LocalEndpointsPlan | undefined, upstreamUrl: string | undefined, stops: (() => Promise<void>)[], print: (line: string) => void): Promise<void> {
  if (plan === undefined) return;
  const local = await startEmulatorEndpoints(plan, upstreamUrl);
  stops.push(() => local.close());
  print(`SignalR emulators started on ports ${plan.endpoints.map((e) => e.port).join(', ')}${upstreamUrl === undefined ? '' : `; upstream: ${upstreamUrl}`}`);
}

function spawnCoreTools(command: string, options: StartOptions, port: number): ChildProcess {
  return spawn(command, ['start', '--port', String(port)], {
    cwd: options.projectRoot,
    stdio: 'inherit',
    env: process.env,
    shell: process.platform === 'win32',
  });
}

function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 0)));
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const force = setTimeout(() => child.kill('SIGKILL'), 5000);
  return exited.finally(() => clearTimeout(force));
}

/** One line for the user: what went wrong and what to do, without stack or secrets. */
export function describeStartupError(error: unknown): string {
  if (error instanceof PortInUseError) {
    return `Error: port ${error.port} is already in use. Stop the program using it or choose another port with --port <n>.`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Error: ${redactSecrets(message).replace(/\s*\n\s*/g, ' ')}`;
}

async function main(): Promise<void> {
  let running: Running | undefined;
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping...');
    const force = setTimeout(() => process.exit(0), 10000);
    force.unref();
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    running = await start(parseStartArguments(process.argv.slice(2)));
  } catch (error) {
    console.error(describeStartupError(error));
    process.exit(1);
  }
  if (stopping) {
    await running.stop();
    process.exit(0);
  }
  if (running.exited) {
    // Core Tools ended on their own (not via our Ctrl-C): stop the emulator and pass their exit code on.
    const code = await running.exited;
    if (!stopping) {
      await running.stop();
      process.exit(code);
    }
  }
}

if (require.main === module) void main();
