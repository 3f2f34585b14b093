/**
 * Scenario 3, REST sends: messages per second sent to one user through our output adapter (the
 * `withSignalR` wrapper flushing a `signalR` output after the handler returns, then the service
 * layer's REST client), 64 in flight, to the emulator; vs bare axios POSTs with a precomputed token to
 * the same endpoint. Each layer underneath is measured too, so its cost is visible:
 *   adapter -> axios -> bare node:http -> the emulator's ceiling (raw keep-alive socket generator).
 *
 * Placement (2 cores): the emulator in a child process (one core); every generator in the bench
 * process (the other core); a connected client of the target user counts deliveries in a worker.
 *
 * The many-recipient sides send each call to the next of 10,000 users (or groups): every call has its own URL and
 * so its own REST token, and the caches on both sides (the adapter's token cache, the emulator's verified-token
 * memory) see what an app with that many users brings them.
 */
import http from 'node:http';
import axios from 'axios';
import type { SignalRMessage } from '../../src/bindings';
import { ratioAtLeast, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { startChildServer, type ChildServer } from '../lib/childServer';
import { adapterSender } from '../lib/adapterSend';
import { runClosedLoop } from '../lib/closedLoop';
import { BENCH_ACCESS_KEY, MESSAGE_TARGET, messageArguments } from '../lib/constants';
import { RemoteHarness } from '../lib/harnessWorker';
import { httpPost } from '../lib/httpPost';
import { buildRequest, runRawLoad } from '../lib/rawHttpLoad';
import { RestDriver } from '../lib/restDriver';

const HUB = 'restbench';
const USER = 'bench-user0'; // the harness's client 0 with userPrefix 'bench-user'
/** Distinct users and groups of the many-recipient sides: every call has its own URL, so token caches miss as in an app with that many users. */
const MANY = 10_000;
/** Azure SignalR Service's published REST send-to-user throughput at Unit100 (msg/s). */
export const AZURE_UNIT100_SEND_TO_USER = 20000;

export const restSendsScenario: Scenario = {
  name: 'rest',
  description: 'REST send-to-user msg/s: output adapter vs axios vs node:http vs emulator ceiling (64 in flight)',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const durationMs = ctx.quick ? 300 : 1500;
    const inFlight = ctx.quick ? 8 : 64;
    const cleanups: Array<() => Promise<void> | void> = [];
    const close = async (): Promise<void> => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    };
    try {
      const emulator: ChildServer = await startChildServer({ kind: 'emulator', config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
      cleanups.push(() => emulator.close());
      const baseUrl = String(emulator.info.url);
      const listener = new RemoteHarness({ mode: 'negotiate', baseUrl, hub: HUB, clients: 1, protocol: 'json', accessKey: BENCH_ACCESS_KEY, userPrefix: 'bench-user' });
      cleanups.push(() => listener.close());
      await listener.connect();

      const path = `/api/hubs/${HUB}/users/${USER}/:send`;
      const driver = new RestDriver(baseUrl);
      cleanups.push(() => driver.close());
      const url = driver.url(path);
      const authorization = driver.authorization(path);
      const body = JSON.stringify({ target: MESSAGE_TARGET, arguments: messageArguments(1) });

      // Our side: the real adapter path an app function takes.
      const env = { AzureSignalRConnectionString: String(emulator.info.connectionString) };
      const adapterSend = adapterSender(env, HUB, { target: MESSAGE_TARGET, arguments: messageArguments(1), userId: USER });
      // The same adapter path, each call to the next of MANY users (or groups), round-robin.
      let nextRecipient = 0;
      const manySend = (recipient: (i: number) => Partial<SignalRMessage>) =>
        adapterSender(env, HUB, () => ({ target: MESSAGE_TARGET, arguments: messageArguments(1), ...recipient(nextRecipient++ % MANY) }));
      const toManyUsers = manySend((i) => ({ userId: `many-user${i}` }));
      const toManyGroups = manySend((i) => ({ groupName: `many-group${i}` }));

      const axiosAgent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
      const client = axios.create({ httpAgent: axiosAgent });
      const httpAgent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
      cleanups.push(() => {
        axiosAgent.destroy();
        httpAgent.destroy();
      });
      const headers = { Authorization: authorization, 'Content-Type': 'application/json' };
      const axiosSend = async (): Promise<void> => {
        const response = await client.post(url, body, { headers });
        if (response.status !== 202) throw new Error(`axios got ${response.status}`);
      };
      // Bare axios to MANY recipients: every URL's token signed by hand beforehand, so this side pays no signing.
      const manyTargets = (kind: 'users' | 'groups', prefix: string) =>
        Array.from({ length: MANY }, (_, i) => {
          const recipientPath = `/api/hubs/${HUB}/${kind}/${prefix}${i}/:send`;
          return { url: driver.url(recipientPath), headers: { Authorization: driver.authorization(recipientPath), 'Content-Type': 'application/json' } };
        });
      const userTargets = manyTargets('users', 'many-user');
      const groupTargets = manyTargets('groups', 'many-group');
      let nextTarget = 0;
      const axiosSendTo = (targets: typeof userTargets) => async (): Promise<void> => {
        const next = targets[nextTarget++ % MANY]!;
        const response = await client.post(next.url, body, { headers: next.headers });
        if (response.status !== 202) throw new Error(`axios got ${response.status}`);
      };
      const httpSend = async (): Promise<void> => {
        const response = await httpPost(httpAgent, url, headers, body);
        if (response.status !== 202) throw new Error(`node:http got ${response.status}: ${response.body.slice(0, 200)}`);
      };
      const target = new URL(url);
      const rawRequest = buildRequest('POST', `${target.pathname}${target.search}`, target.host, headers, body);

      // CPU time of this (generator) process per send: what each client layer costs, independent of how busy
      // the machine is. The listener's worker thread adds the same small cost (one delivery) to every side.
      const closedLoopSide = (operation: () => Promise<void>) => async (): Promise<Metrics> => {
        const cpuBefore = process.cpuUsage();
        const result = await runClosedLoop(inFlight, durationMs, operation);
        const cpu = process.cpuUsage(cpuBefore);
        return { rate: result.rate, clientCpuMicrosPerSend: (cpu.user + cpu.system) / result.completed };
      };
      return {
        groups: [
          {
            name: 'rest',
            warmup: true,
            roundTimeoutMs: durationMs + 30000,
            sides: {
              adapter: closedLoopSide(adapterSend),
              axios: closedLoopSide(axiosSend),
              adapterManyUsers: closedLoopSide(toManyUsers),
              axiosManyUsers: closedLoopSide(axiosSendTo(userTargets)),
              adapterManyGroups: closedLoopSide(toManyGroups),
              axiosManyGroups: closedLoopSide(axiosSendTo(groupTargets)),
              nodeHttp: closedLoopSide(httpSend),
              ceiling: async () => {
                const result = await runRawLoad({ host: target.hostname, port: Number(target.port), request: rawRequest, connections: inFlight, durationMs });
                const bad = Object.keys(result.statuses).filter((s) => s !== '202');
                if (bad.length > 0) throw new Error(`ceiling got ${JSON.stringify(result.statuses)}`);
                return { rate: result.rate };
              },
              // Not measured: the published figure, so the table shows where the emulator stands.
              azureUnit100: async () => ({ rate: AZURE_UNIT100_SEND_TO_USER }),
            },
            rows: [
              { label: 'rest send-to-user: adapter vs axios', metric: 'rate', unit: 'msg/s', ours: 'adapter', baseline: 'axios', target: ratioAtLeast(0.9) },
              { label: 'rest: client CPU per send, adapter vs axios', metric: 'clientCpuMicrosPerSend', unit: 'µs', ours: 'adapter', baseline: 'axios' },
              { label: `rest send-to-user, ${MANY.toLocaleString('en-US')} users: adapter vs axios`, metric: 'rate', unit: 'msg/s', ours: 'adapterManyUsers', baseline: 'axiosManyUsers', target: ratioAtLeast(0.9) },
              { label: `rest send-to-group, ${MANY.toLocaleString('en-US')} groups: adapter vs axios`, metric: 'rate', unit: 'msg/s', ours: 'adapterManyGroups', baseline: 'axiosManyGroups', target: ratioAtLeast(0.9) },
              { label: `rest: adapter, one user vs ${MANY.toLocaleString('en-US')} users`, metric: 'rate', unit: 'msg/s', ours: 'adapterManyUsers', baseline: 'adapter' },
              { label: 'rest layer: axios vs node:http', metric: 'rate', unit: 'msg/s', ours: 'axios', baseline: 'nodeHttp' },
              { label: 'rest layer: node:http vs raw ceiling', metric: 'rate', unit: 'msg/s', ours: 'nodeHttp', baseline: 'ceiling' },
              { label: 'rest: emulator ceiling vs Azure Unit100', metric: 'rate', unit: 'msg/s', ours: 'ceiling', baseline: 'azureUnit100' },
            ],
          },
        ],
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
