#!/usr/bin/env node
/**
 * `signalr-emulator` / `npm run emulator`: runs the local Azure SignalR Service emulator until
 * Ctrl+C (SIGINT) or SIGTERM, then stops cleanly with exit code 0.
 */
import { ACCESS_KEY_ENV, parseCommand, USAGE, UsageError, type CliOptions } from './cliArguments';
import { DEFAULT_ACCESS_KEY, describeTemplates, readSettingsFile, RunningEmulator, startEmulator, UpstreamSettingsError, writeStarterSettings } from './index';

export { ACCESS_KEY_ENV, parseArgs, UsageError } from './cliArguments';

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
    `Upstream: ${emulator.describeUpstream() ?? 'none (client invocations are not forwarded; see --upstream and upstream init)'}`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`signalr-emulator: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'upstreamInit':
      runUpstreamCommand(() => `Wrote the starter upstream settings to ${writeStarterSettings(command.folder, command.force)}.`);
      return;
    case 'upstreamList':
      runUpstreamCommand(() =>
        command.config === undefined ? 'No upstream settings file here; create one with \'signalr-emulator upstream init\'.' : `${command.config}: ${describeTemplates(readSettingsFile(command.config))}`,
      );
      return;
    case 'start':
      await run(command.options);
  }
}

/** Prints what an `upstream` command did; a settings problem is one line on stderr and exit code 1. */
function runUpstreamCommand(action: () => string): void {
  try {
    process.stdout.write(`${action()}\n`);
  } catch (error) {
    if (!(error instanceof UpstreamSettingsError)) throw error;
    process.stderr.write(`signalr-emulator: ${error.message}\n`);
    process.exitCode = 1;
  }
}

async function run(options: CliOptions): Promise<void> {
  const envKey = process.env[ACCESS_KEY_ENV];
  const customKey = envKey !== undefined && envKey !== '';
  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const upstreamWanted = options.config !== undefined || options.upstreamUrls !== undefined;
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      port: options.port,
      host: options.host,
      accessKey: customKey ? envKey : DEFAULT_ACCESS_KEY,
      log: options.verbose ? log : undefined,
      ...(upstreamWanted
        ? {
            upstream: {
              ...(options.config === undefined ? {} : { settingsFile: options.config }),
              ...(options.upstreamUrls === undefined ? {} : { urlTemplates: options.upstreamUrls }),
              ...(options.upstreamTimeoutMs === undefined ? {} : { timeoutMs: options.upstreamTimeoutMs }),
              verbose: options.verbose,
              // Upstream failures are always shown: they are what a developer needs to act on.
              log: (line: string) => void process.stderr.write(`${new Date().toISOString()} ${line}\n`),
            },
          }
        : {}),
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
