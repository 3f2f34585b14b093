/**
 * Three SignalR Service instances for the functions: three emulator PROCESSES (each its own port and AccessKey),
 * the app's `Azure__SignalR__Endpoints__e1..e3` settings pointing at them, and the negotiate function served over
 * real HTTP, so official @microsoft/signalr clients negotiate through it and spread over the instances (and
 * negotiate again when they reconnect, which is how they move). A test kills an instance with a signal, starts it
 * again on its port, watches each endpoint's health as the app's own service sees it, and asks each instance's own
 * REST API where a connection is.
 */
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { negotiate } from '../../functions/negotiate';
import { getSignalRService, resetSignalRServiceCache, type ServiceEndpoint } from '../../src/client/service';
import { startFunctionServer, type FunctionServer } from './functionServer';
import { freePort, startEmulatorProcess, type RunningProcess } from './nodeProcess';

export type EndpointType = 'primary' | 'secondary';

const NAMES = ['e1', 'e2', 'e3'];
const KEYS = ['FirstInstanceKey0123456789ABCDEFGHIJKLMNOP', 'SecondInstanceKey0123456789ABCDEFGHIJKLMNO', 'ThirdInstanceKey0123456789ABCDEFGHIJKLMNOP'];

export interface EndpointCluster {
  readonly hub: string;
  /** Endpoint names, in the order of the service's endpoints (no connection-string endpoint is set). */
  readonly names: readonly string[];
  /** Each instance's AccessKey (tests check that none reaches a log). */
  readonly keys: readonly string[];
  readonly ports: readonly number[];
  /** The function server: official clients are built with `${url}/api`. */
  readonly functions: FunctionServer;
  /** The endpoints of the service the functions use now. */
  endpoints(): readonly ServiceEndpoint[];
  /** Endpoint settings e1..e3 with these types plus `extra`; the service is built again on the next call. */
  configure(types?: readonly EndpointType[], extra?: Record<string, string>): void;
  /** Sends `signal` to instance `index` and waits until the process is gone. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts instance `index` again on its port, with its key. */
  start(index: number): Promise<void>;
  /** Resolves with the checks started by then once endpoint `index` is `online` as its health checks say. */
  whenHealth(index: number, online: boolean): Promise<number>;
  /** How many of `times` negotiations over HTTP went to each instance. */
  negotiateCounts(times: number): Promise<number[]>;
  /** An official client for `user` negotiating through the function, automatic reconnect every 200 ms for 30 s. Not started. */
  buildClient(user: string): HubConnection;
  /** The instance a started client is on, asked of each instance's REST API; an instance that cannot answer has none. */
  placeOf(connection: HubConnection): Promise<number>;
  close(): Promise<void>;
}

export async function startEndpointCluster(options: { hub: string; healthIntervalSeconds: number }): Promise<EndpointCluster> {
  const { hub } = options;
  const ports = await Promise.all(KEYS.map(() => freePort()));
  const processes: Array<RunningProcess | undefined> = await Promise.all(ports.map((port, i) => startEmulatorProcess(port, KEYS[i]!)));
  const functions = await startFunctionServer({ '/api/negotiate': negotiate });
  // What each setting this cluster wrote held before (undefined: not set), to put back on close().
  const saved = new Map<string, string | undefined>();
  const setEnv = (key: string, value: string | undefined): void => {
    if (!saved.has(key)) saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  const endpoints = (): readonly ServiceEndpoint[] => getSignalRService().endpoints;

  const instanceOf = (url: string): number => {
    const index = ports.findIndex((port) => url.startsWith(`http://127.0.0.1:${port}/`));
    if (index < 0) throw new Error(`negotiate answered an unknown URL ${url}`);
    return index;
  };

  const cluster: EndpointCluster = {
    hub,
    names: NAMES,
    keys: KEYS,
    ports,
    functions,
    endpoints,
    configure(types = ['primary', 'primary', 'primary'], extra = {}) {
      // Endpoint settings written before (another type, an extra key) must not linger.
      for (const key of saved.keys()) if (key.startsWith('Azure__SignalR__Endpoints__')) setEnv(key, undefined);
      const settings: Record<string, string> = {
        AzureSignalRConnectionString: '',
        SignalRHubName: hub,
        SignalRAllowClientUserId: 'true',
        SignalREndpointHealthIntervalSeconds: String(options.healthIntervalSeconds),
        ...extra,
      };
      ports.forEach((port, i) => {
        settings[`Azure__SignalR__Endpoints__${NAMES[i]}__${types[i]}`] = `Endpoint=http://127.0.0.1;Port=${port};AccessKey=${KEYS[i]};Version=1.0;`;
      });
      for (const [key, value] of Object.entries(settings)) setEnv(key, value);
      // process.env's endpoint settings are read once per process: read them again.
      resetSignalRServiceCache();
    },
    async kill(index, signal = 'SIGKILL') {
      await processes[index]?.stop(signal);
      processes[index] = undefined;
    },
    async start(index) {
      processes[index] = await startEmulatorProcess(ports[index]!, KEYS[index]!);
    },
    whenHealth(index, online) {
      const endpoint = endpoints()[index]!;
      if (endpoint.online === online) return Promise.resolve(endpoint.health.checks);
      return new Promise((resolve) => {
        const stop = endpoint.health.onChange((now, checks) => {
          if (now === online) {
            stop();
            resolve(checks);
          }
        });
      });
    },
    async negotiateCounts(times) {
      const counts = ports.map(() => 0);
      for (let i = 0; i < times; i++) {
        const response = await fetch(`${functions.url}/api/negotiate?userId=probe${i}`, { method: 'POST' });
        const body = (await response.json()) as { url?: string };
        if (response.status !== 200 || typeof body.url !== 'string') throw new Error(`negotiate answered ${response.status} ${JSON.stringify(body)}`);
        counts[instanceOf(body.url)]! += 1;
      }
      return counts;
    },
    buildClient(user) {
      return new HubConnectionBuilder()
        .withUrl(`${functions.url}/api?userId=${encodeURIComponent(user)}`, { transport: HttpTransportType.WebSockets })
        .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (context) => (context.elapsedMilliseconds < 30_000 ? 200 : null) })
        .configureLogging(LogLevel.None)
        .build();
    },
    async placeOf(connection) {
      const id = connection.connectionId;
      if (id === null) throw new Error('the client is not connected');
      const answers = await Promise.all(endpoints().map((endpoint) => endpoint.rest.connectionExists(hub, id, { timeoutMs: 2000 }).catch(() => false)));
      const index = answers.indexOf(true);
      if (index < 0 || answers.lastIndexOf(true) !== index) throw new Error(`connection ${id} is on ${answers.filter(Boolean).length} instances`);
      return index;
    },
    async close() {
      await functions.close();
      await Promise.all(processes.map((p) => p?.stop('SIGKILL')));
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      saved.clear();
      resetSignalRServiceCache();
    },
  };
  cluster.configure();
  return cluster;
}
