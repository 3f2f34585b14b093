/**
 * The emulator's command line: `start` (the default) and `upstream init|list`, read with node:util's parseArgs.
 * Every mistake is a UsageError naming the argument.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_UPSTREAM_URL, SETTINGS_FILE_NAME } from './index';

/** A custom key comes from the environment, never from argv (argv is visible to every local user). */
export const ACCESS_KEY_ENV = 'SIGNALR_EMULATOR_ACCESS_KEY';

export const USAGE = `Usage: signalr-emulator [start] [--port <0-65535>] [--host <address>] [--verbose]
                        [--config <file>] [--upstream <url-template>]... [--upstream-timeout <seconds>]
       signalr-emulator upstream init [--output <folder>] [--force]
       signalr-emulator upstream list [--config <file>]

Runs a local Azure SignalR Service emulator (REST API under /api, clients under /client).

Options:
  --port <n>                  port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host <addr>               address to bind (default ${DEFAULT_HOST})
  --verbose                   log connections, refusals and every upstream call
  --config <file>, -c         upstream settings (the official emulator's settings.json form), reloaded when it
                              changes; default ./${SETTINGS_FILE_NAME} when it exists. A folder means its ${SETTINGS_FILE_NAME}.
  --upstream <url-template>   send every client event to this URL ({hub}, {category}, {event} may be used),
                              after the settings file's templates; e.g. ${DEFAULT_UPSTREAM_URL}
  --upstream-timeout <s>      time budget of one upstream call in seconds (default 30)
  --help                      show this help

upstream init writes a starter ${SETTINGS_FILE_NAME} (every event to ${DEFAULT_UPSTREAM_URL}) into
--output (default: the current folder); it never overwrites a file unless --force.

Environment:
  ${ACCESS_KEY_ENV}  AccessKey to require instead of the well-known emulator key
`;

export interface CliOptions {
  port: number;
  host: string;
  verbose: boolean;
  help: boolean;
  /** The upstream settings file, when one is used. */
  config?: string;
  /** `--upstream` URL templates, in order. */
  upstreamUrls?: string[];
  upstreamTimeoutMs?: number;
}

export type CliCommand =
  | { kind: 'start'; options: CliOptions }
  | { kind: 'upstreamInit'; folder: string; force: boolean }
  | { kind: 'upstreamList'; config: string | undefined }
  | { kind: 'help' };

export class UsageError extends Error {}

const CLI_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string', short: 'c' },
  upstream: { type: 'string', multiple: true },
  'upstream-timeout': { type: 'string' },
  output: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
} as const;

function readCommandLine(argv: readonly string[]) {
  try {
    return parseCommandLine({ args: [...argv], options: CLI_OPTIONS, strict: true, allowPositionals: true });
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
  return message;
}

/** `-c` names a file, or a folder holding settings.json, as the official emulator reads it. */
function resolveConfig(value: string): string {
  const resolved = path.resolve(value);
  if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) return path.join(resolved, SETTINGS_FILE_NAME);
  return resolved;
}

function startOptions(values: ReturnType<typeof readCommandLine>['values'], cwd: string): CliOptions {
  const options: CliOptions = { port: DEFAULT_PORT, host: DEFAULT_HOST, verbose: values.verbose === true, help: values.help === true };
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
    options.port = Number(values.port);
  }
  if (values.host !== undefined) {
    if (values.host === '' || /\s|\//.test(values.host)) throw new UsageError(`--host must be a host name or IP address, got '${values.host}'`);
    options.host = values.host;
  }
  if (values.config !== undefined) {
    options.config = resolveConfig(values.config);
    if (!fs.existsSync(options.config)) throw new UsageError(`--config: ${options.config} does not exist (create one with 'signalr-emulator upstream init')`);
  } else if (fs.existsSync(path.join(cwd, SETTINGS_FILE_NAME))) {
    options.config = path.join(cwd, SETTINGS_FILE_NAME);
  }
  if (values.upstream !== undefined) options.upstreamUrls = [...values.upstream];
  if (values['upstream-timeout'] !== undefined) {
    const seconds = Number(values['upstream-timeout']);
    if (!/^\d+(\.\d+)?$/.test(values['upstream-timeout']) || seconds <= 0 || seconds > 3600) {
      throw new UsageError(`--upstream-timeout must be a number of seconds from 0.001 to 3600, got '${values['upstream-timeout']}'`);
    }
    options.upstreamTimeoutMs = Math.round(seconds * 1000);
  }
  return options;
}

/** Reads the `start` command's options (the default command). */
export function parseArgs(argv: readonly string[], cwd: string = process.cwd()): CliOptions {
  const command = parseCommand(argv, cwd);
  if (command.kind === 'help') return { port: DEFAULT_PORT, host: DEFAULT_HOST, verbose: false, help: true };
  if (command.kind !== 'start') throw new UsageError(`'${argv.join(' ')}' is not the start command`);
  return command.options;
}

export function parseCommand(argv: readonly string[], cwd: string = process.cwd()): CliCommand {
  const { values, positionals } = readCommandLine(argv);
  if (values.help === true) return { kind: 'help' };
  const [verb, sub, ...extra] = positionals;
  if (verb === undefined || verb === 'start') {
    if (sub !== undefined) throw new UsageError(`unknown argument '${sub}'`);
    if (values.output !== undefined || values.force !== undefined) throw new UsageError('--output and --force belong to \'upstream init\'');
    return { kind: 'start', options: startOptions(values, cwd) };
  }
  if (verb !== 'upstream') throw new UsageError(`unknown argument '${verb}'`);
  if (extra.length > 0) throw new UsageError(`unknown argument '${extra[0]}'`);
  if (sub === 'init') return { kind: 'upstreamInit', folder: path.resolve(cwd, values.output ?? '.'), force: values.force === true };
  if (sub === 'list') {
    const config = values.config !== undefined ? resolveConfig(values.config) : path.join(cwd, SETTINGS_FILE_NAME);
    return { kind: 'upstreamList', config: fs.existsSync(config) ? config : undefined };
  }
  throw new UsageError(sub === undefined ? "'upstream' needs 'init' or 'list'" : `unknown upstream command '${sub}' (use 'init' or 'list')`);
}
