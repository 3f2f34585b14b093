/**
 * Starts the embedded SignalR Service emulator when AzureSignalRConnectionString points at this machine
 * and nothing serves that port yet. An emulator already running there (e.g. `npm run emulator`) is reused;
 * any other program on that port is an error.
 */
import { ConfigError, parseConnectionString } from '../client/config/connectionString';
import type { RunningEmulator } from '../emulator';
import { isListening, isSignalRHealthy } from './ports';

export const connectionStringSetting = 'AzureSignalRConnectionString';

export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
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

/**
 * Starts the emulator through its public entry (src/emulator/index.ts). The import is typed, and lazy: an app
 * that talks to Azure never loads the emulator's modules, which keeps `npm start` against Azure fast to start.
 */
export async function startEmulatorFor(plan: { port: number; accessKey: string }, upstreamUrl?: string): Promise<RunningEmulator> {
  const { startEmulator } = await import('../emulator');
  return startEmulator({
    host: '127.0.0.1',
    port: plan.port,
    accessKey: plan.accessKey,
    ...(upstreamUrl === undefined ? {} : { upstream: { urlTemplates: [upstreamUrl] } }),
  });
}
