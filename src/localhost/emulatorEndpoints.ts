/**
 * `npm start -- --endpoints <n>`: n SignalR Service instances on this machine, to try several endpoints (routing,
 * fan-out, failover) with no Azure account. Each is an embedded emulator (in process, through the emulator's
 * public entry) on a port of its own with an AccessKey of its own, and the app gets them as the app settings
 * `Azure__SignalR__Endpoints__local1` … `localN` (all primary), with `AzureSignalRConnectionString` left empty
 * so it does not add a further endpoint.
 */
import { randomBytes } from 'node:crypto';
import { parseConnectionString } from '../client/config/connectionString';
import { scanEndpointEntries } from '../client/config/endpointSettings';
import type { RunningEmulator } from '../emulator';
import { connectionStringSetting, startEmulatorFor, EmulatorStartError } from './emulatorAutostart';

export const MAX_LOCAL_ENDPOINTS = 9;

export interface LocalEndpoint {
  /** The app setting that names it, e.g. `Azure__SignalR__Endpoints__local1`. */
  setting: string;
  /** Its connection string with the AccessKey masked. */
  describe: string;
}

export interface LocalEndpoints {
  endpoints: LocalEndpoint[];
  close(): Promise<void>;
}

/**
 * Starts `count` emulators and puts their settings into `env` (process.env by default). Endpoint settings already
 * there (e.g. in local.settings.json) would add instances that are not running: they are refused, by name.
 */
export async function startEmulatorEndpoints(count: number, env: NodeJS.ProcessEnv = process.env): Promise<LocalEndpoints> {
  const existing = scanEndpointEntries(env).map((entry) => entry.key);
  if (existing.length > 0) {
    throw new EmulatorStartError(`--endpoints sets the endpoint settings itself; remove ${existing.join(', ')} from local.settings.json or the environment.`);
  }
  const running: RunningEmulator[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      running.push(await startEmulatorFor({ port: 0, accessKey: randomBytes(32).toString('base64') }));
    }
  } catch (error) {
    await Promise.all(running.map((emulator) => emulator.close()));
    throw error;
  }
  const endpoints = running.map((emulator, i) => {
    const setting = `Azure__SignalR__Endpoints__local${i + 1}`;
    env[setting] = emulator.connectionString;
    return { setting, describe: parseConnectionString(emulator.connectionString, setting).describe() };
  });
  env[connectionStringSetting] = '';
  return { endpoints, close: async () => void (await Promise.all(running.map((emulator) => emulator.close()))) };
}
