/**
 * `npm start -- --endpoints <n>`: n SignalR Service instances on this machine, to try several endpoints (routing,
 * fan-out, failover) with no Azure account. Each is an embedded emulator (in process, through the emulator's
 * public entry) on a port of its own with an AccessKey of its own, and the app gets them as the app settings
 * `Azure__SignalR__Endpoints__local1` … `localN` (all primary), with `AzureSignalRConnectionString` left empty
 * so it does not add a further endpoint.
 *
 * Two steps, as for the single emulator: the settings first (Core Tools read the environment when they start),
 * the emulators once the functions run (their upstream, the app's upstream function, needs its port).
 */
import { randomBytes } from 'node:crypto';
import { freePort } from './ports';
import { parseConnectionString } from '../client/config/connectionString';
import { scanEndpointEntries } from '../client/config/endpointSettings';
import type { RunningEmulator } from '../emulator';
import { connectionStringSetting, startEmulatorFor, EmulatorStartError } from './emulatorAutostart';

export const MAX_LOCAL_ENDPOINTS = 9;

export interface LocalEndpoint {
  /** The app setting that names it, e.g. `Azure__SignalR__Endpoints__local1`. */
  setting: string;
  port: number;
  accessKey: string;
  /** Its connection string with the AccessKey masked. */
  describe: string;
}

export interface LocalEndpointsPlan {
  endpoints: LocalEndpoint[];
}

/**
 * Chooses ports and keys for `count` emulators and puts their settings into `env` (process.env by default).
 * Endpoint settings already there (e.g. in local.settings.json) would add instances that are not running: they
 * are refused, by name.
 */
export async function planEmulatorEndpoints(count: number, env: NodeJS.ProcessEnv = process.env): Promise<LocalEndpointsPlan> {
  const existing = scanEndpointEntries(env).map((entry) => entry.key);
  if (existing.length > 0) {
    throw new EmulatorStartError(`--endpoints sets the endpoint settings itself; remove ${existing.join(', ')} from local.settings.json or the environment.`);
  }
  const endpoints: LocalEndpoint[] = [];
  for (let i = 1; i <= count; i++) {
    const setting = `Azure__SignalR__Endpoints__local${i}`;
    const port = await freePort();
    const accessKey = randomBytes(32).toString('base64');
    const connectionString = `Endpoint=http://127.0.0.1:${port};AccessKey=${accessKey};Version=1.0;`;
    env[setting] = connectionString;
    endpoints.push({ setting, port, accessKey, describe: parseConnectionString(connectionString, setting).describe() });
  }
  env[connectionStringSetting] = '';
  return { endpoints };
}

/** Starts the planned emulators, each sending client events to `upstreamUrl` when there is one. */
export async function startEmulatorEndpoints(plan: LocalEndpointsPlan, upstreamUrl: string | undefined): Promise<{ close(): Promise<void> }> {
  const running: RunningEmulator[] = [];
  const close = async (): Promise<void> => void (await Promise.all(running.map((emulator) => emulator.close())));
  try {
    for (const endpoint of plan.endpoints) running.push(await startEmulatorFor(endpoint, upstreamUrl));
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
