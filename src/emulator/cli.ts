#!/usr/bin/env node
/**
 * `signalr-emulator` / `npm run emulator`: runs the local Azure SignalR Service emulator until
 * Ctrl+C (SIGINT) or SIGTERM, then stops cleanly with exit code 0.
 */
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

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { port: DEFAULT_PORT, host: DEFAULT_HOST, verbose: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inlineValue = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inlineValue ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--port': {
        const raw = value();
        if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${raw}'`);
        options.port = Number(raw);
        break;
      }
      case '--host': {
        const raw = value();
        if (/\s|\//.test(raw)) throw new UsageError(`--host must be a host name or IP address, got '${raw}'`);
        options.host = raw;
        break;
      }
      case '--verbose':
        options.verbose = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return options;
}

export function describeStart(emulator: RunningEmulator, customKey: boolean): string {
  const shown = (connectionString: string): string =>
    customKey ? connectionString.replace(/AccessKey=[^;]*/, `AccessKey=<value of ${ACCESS_KEY_ENV}>`) : connectionString;
  return [
    `Azure SignalR Service emulator listening on ${emulator.url}`,
    `  clients: ${emulator.url}/client/?hub=<hub>   REST API: ${emulator.url}/api`,
    '',
    'Connection string (app setting AzureSignalRConnectionString):',
    `  ${shown(emulator.connectionString)}`,
    "The same with the port inside Endpoint, for Dapr's bindings.azure.signalr (it ignores Port=):",
    `  ${shown(emulator.connectionStringPortInEndpoint)}`,
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
