/**
 * Starts the embedded SignalR Service emulator when AzureSignalRConnectionString points at this machine
 * and nothing serves that port yet. An emulator already running there (e.g. `npm run emulator`) is reused;
 * any other program on that port is an error.
 */
import * as path from 'path';
import { ConfigError, parseConnectionString } from '../client/config/connectionString';
import { isListening, isSignalRHealthy } from './ports';

export const connectionStringSetting = 'AzureSignalRConnectionString';

export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}

/** What `startEmulator` in src/emulator/index.ts returns (the parts used here). */
interface RunningEmulator {
  url: string;
  close(): Promise<void>;
}

interface EmulatorModule {
  startEmulator(options?: { host?: string; port?: number; accessKey?: string }): Promise<RunningEmulator>;
}

export type EmulatorPlan =
  | { kind: 'none'; reason: string }
  | { kind: 'start'; port: number; accessKey: string; describe: string }
  | { kind: 'reuse'; port: number; describe: string };

const localHostnames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export async function planEmulator(env: NodeJS.ProcessEnv = process.env): Promise<EmulatorPlan> {
  const value = env[connectionStringSetting];
  if (!value) return { kind: 'none', reason: `${connectionStringSetting} is not set` };
  let config;
  try {
    config = parseConnectionString(value, connectionStringSetting);
  } catch (error) {
    // ConfigError messages name the setting and never include the key.
    throw new EmulatorStartError(error instanceof ConfigError ? error.message : `App setting '${connectionStringSetting}' is invalid.`);
  }
  const endpoint = new URL(config.endpoint);
  if (!localHostnames.has(endpoint.hostname.toLowerCase())) {
    return { kind: 'none', reason: 'the connection string points at a remote SignalR Service' };
  }
  const port = Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80));
  if (config.auth.kind !== 'accessKey') {
    throw new EmulatorStartError(`App setting '${connectionStringSetting}': the local emulator needs an AccessKey, not AuthType.`);
  }
  if (await isListening('127.0.0.1', port)) {
    if (await isSignalRHealthy('127.0.0.1', port)) return { kind: 'reuse', port, describe: config.describe() };
    throw new EmulatorStartError(
      `Port ${port} (from ${connectionStringSetting}) is in use by a program that is not the SignalR emulator; stop it or change Port= in local.settings.json.`,
    );
  }
  return { kind: 'start', port, accessKey: config.auth.accessKey, describe: config.describe() };
}

/** Loads the compiled emulator (dist/src/emulator/index.js when run from dist). */
function loadEmulatorModule(): EmulatorModule {
  const modulePath = path.join(__dirname, '..', 'emulator');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(modulePath) as Partial<EmulatorModule>;
    if (typeof loaded.startEmulator !== 'function') throw new Error('it does not export startEmulator');
    return loaded as EmulatorModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missingItself = code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(modulePath);
    const reason = missingItself ? 'it is not built yet' : (error as Error).message;
    throw new EmulatorStartError(
      `Cannot load the SignalR emulator from ${modulePath} (${reason}). Run "npm run build", point ${connectionStringSetting} at a real service, or start with --no-emulator.`,
    );
  }
}

export async function startEmulatorFor(plan: { port: number; accessKey: string }): Promise<RunningEmulator> {
  const emulatorModule = loadEmulatorModule();
  return emulatorModule.startEmulator({ host: '127.0.0.1', port: plan.port, accessKey: plan.accessKey });
}
