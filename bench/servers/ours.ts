/**
 * Our servers, started in a bench child process exactly like the baselines: the embedded emulator
 * and the local Functions host serving the compiled app in dist/.
 */
import path from 'node:path';
import { startEmulator, type UpstreamTemplate } from '../../src/emulator';
import { startLocalHost } from '../../src/localhost/host';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

interface Running {
  info: Record<string, string | number>;
  connections?: () => number;
  close(): Promise<void>;
}

export async function startOurEmulator(config: Record<string, unknown>): Promise<Running> {
  const templates = Array.isArray(config.upstreamTemplates) ? (config.upstreamTemplates as UpstreamTemplate[]) : undefined;
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    accessKey: typeof config.accessKey === 'string' ? config.accessKey : undefined,
    ...(templates === undefined ? {} : { upstream: { templates } }),
  });
  return {
    info: { url: emulator.url, port: emulator.port, connectionString: emulator.connectionString },
    connections: () => emulator.sessionCount(),
    close: () => emulator.close(),
  };
}

/**
 * The app settings (AzureSignalRConnectionString, SignalRHubName, ...) come from this process's
 * environment, set by the scenario. Log lines are formatted but not printed: the benchmark measures
 * the request path, not a console (`config.logs: true` prints them, to check their cost).
 */
export async function startOurLocalHost(config: Record<string, unknown>): Promise<Running> {
  const host = await startLocalHost({
    projectRoot: PROJECT_ROOT,
    // `entry` serves another app than the project's (bench/apps), compiled next to the benchmark.
    ...(typeof config.entry === 'string' ? { entry: config.entry } : {}),
    port: 0,
    host: '127.0.0.1',
    ...(config.logs === true ? {} : { logWriter: () => undefined }),
  });
  return { info: { url: host.url, functions: host.functions.length }, close: () => host.close() };
}
