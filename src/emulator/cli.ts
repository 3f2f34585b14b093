#!/usr/bin/env node
/**
 * `signalr-emulator` / `npm run emulator`: runs the local Azure SignalR Service emulator until
 * Ctrl+C (SIGINT) or SIGTERM, then stops cleanly with exit code 0.
 */
import { parseArgs as parseCommandLine } from 'node:util';
import { DEFAULT_ACCESS_KEY, DEFAULT_HOST, DEFAULT_PORT, RunningEmulator, startEmulator } from './index';

/** A custom key comes from the environment, never from argv (argv is visible to every local user). */
export const ACCESS_KEY_ENV = 'SIGNALR_EMULATOR_ACCESS_KEY';

const USAGE = `Usage: signalr-emulator [--port <0-65535>] [--host <address>] [--verbose]

Runs a local Azure SignalR Service emulator (REST API under /api, clients under /client).

Options:
  --port <n>     port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host <addr>  address to bind (default ${DEFAULT_HOST})
  --verbose      log connections and refusals
  --help         show this help

Environment:
  ${ACCESS_KEY_ENV}  AccessKey to require instead of the well-known emulator key
`;

export interface CliOptions {
  port: number;
  host: string;
  verbose: boolean;
  help: boolean;
}

export class UsageError extends Error {}

const CLI_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Reads the command line with node:util's parseArgs; every mistake is a UsageError naming the argument. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const { values } = readCommandLine(argv);
  const options: CliOptions = { port: DEFAULT_PORT, host: DEFAULT_HOST, verbose: values.verbose === true, help: values.help === true };
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
    options.port = Number(values.port);
  }
  if (values.host !== undefined) {
    if (values.host === '' || /\s|\//.test(values.host)) throw new UsageError(`--host must be a host name or IP address, got '${values.host}'`);
    options.host = values.host;
  }
  return options;
}

function readCommandLine(argv: readonly string[]) {
  try {
    return parseCommandLine({ args: [...argv], options: CLI_OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

/** parseArgs' errors in this CLI's words: which argument, and what is wrong with it. */
function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /--[\w-]+/.exec(message)?.[0] ?? /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown argument '${option ?? message}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(message)) return `${option ?? 'an option'} needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(message)?.[0] ?? ''}`.trim();
  return message;
}

export function describeStart(emulator: RunningEmulator, customKey: boolean): string {
  const connectionString = customKey
    ? emulator.connectionString.replace(/AccessKey=[^;]*/, `AccessKey=<value of ${ACCESS_KEY_ENV}>`)
    : emulator.connectionString;
  return [
    `Azure SignalR Service emulator listening on ${emulator.url}`,
    `  clients: ${emulator.url}/client/?hub=<hub>   REST API: ${emulator.url}/api`,
    '',
    'Connection string (app setting AzureSignalRConnectionString):',
    `  ${connectionString}`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`signalr-emulator: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const envKey = process.env[ACCESS_KEY_ENV];
  const customKey = envKey !== undefined && envKey !== '';
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      port: options.port,
      host: options.host,
      accessKey: customKey ? envKey : DEFAULT_ACCESS_KEY,
      log: options.verbose ? (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`) : undefined,
    });
  } catch (error) {
    process.stderr.write(`signalr-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping...\n`);
    emulator
      .close()
      .then(() => {
        process.stdout.write('Emulator stopped.\n');
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`signalr-emulator: error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
  };
  // Handlers first, then the banner: a supervisor (or a test) that signals as soon as it reads the banner must
  // find them installed, or the default action kills the process without a clean stop.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${describeStart(emulator, customKey)}\n`);
}

if (require.main === module) {
  void main();
}
