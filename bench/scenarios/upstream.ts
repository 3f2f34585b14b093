/**
 * Upstream round trip: a client's `invoke` goes to the emulator, which calls the upstream, whose framed
 * Completion comes back to the client. Ours: the upstream is the app's upstream endpoint on the local host,
 * dispatching to a SignalR trigger function (bench/apps/upstreamEcho.ts). Baseline: a plain `node:http` echo
 * upstream answering the same Completion, without the function types. Same emulator (one hub per side), same
 * clients, same open-loop schedule: 500 invocations/s spread over 10 connections for 10 s, every invoke either
 * resolves (its latency counts) or is lost.
 *
 * Placement: emulator, local host and echo server in child processes; the clients in the bench process.
 */
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import jwt from 'jsonwebtoken';
import { oursAtMost, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { percentile, runOpenLoop } from '../lib/openLoop';

const CONNECTIONS = 10;

async function connect(emulatorUrl: string, hub: string): Promise<HubConnection> {
  const url = `${emulatorUrl}/client/?hub=${hub}`;
  const token = jwt.sign({ 'asrs.s.uid': 'bench' }, BENCH_ACCESS_KEY, { algorithm: 'HS256', audience: url, expiresIn: 3600 });
  const connection = new HubConnectionBuilder()
    .withUrl(url, { skipNegotiation: true, transport: HttpTransportType.WebSockets, accessTokenFactory: () => token })
    .configureLogging(LogLevel.None)
    .build();
  await connection.start();
  return connection;
}

/** Invokes `echo` on a fixed schedule across the connections; resolves with every latency and the losses. */
async function drive(connections: readonly HubConnection[], ratePerSecond: number, count: number, settleMs: number): Promise<{ latencies: number[]; lost: number; wrong: number }> {
  const latencies: number[] = [];
  let wrong = 0;
  await runOpenLoop(ratePerSecond, count, (sequence, sentAt) => {
    const answer = connections[sequence % connections.length]!.invoke('echo', sequence).then(
      (value: unknown) => {
        if (value === sequence) latencies.push(performance.now() - sentAt);
        else wrong++;
      },
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const settled = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, settleMs);
    });
    return Promise.race([answer.finally(() => clearTimeout(timer)), settled]);
  });
  // Failed, or neither resolved nor failed within settleMs: lost.
  const lost = count - latencies.length - wrong;
  return { latencies: latencies.sort((a, b) => a - b), lost, wrong };
}

export const upstreamScenario: Scenario = {
  name: 'upstream',
  description: "a client's invoke through the emulator's upstream to a SignalR trigger function and back",
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const ratePerSecond = ctx.quick ? 50 : 500;
    // 6 s rounds: 3,000 invokes a round, 30 past its p99, which is enough for a stable figure; 10 s (5,000) took
    // 24 s more of the bench's 10 minutes.
    const seconds = ctx.quick ? 0.5 : 6;
    const count = Math.round(ratePerSecond * seconds);
    const servers: ChildServer[] = [];
    const connections: HubConnection[] = [];
    const close = async (): Promise<void> => {
      for (const connection of connections) await connection.stop();
      for (const server of servers.reverse()) await server.close();
    };
    try {
      const plain = await startChildServer({ kind: 'plain-upstream', execArgv: ctx.childExecArgv });
      servers.push(plain);
      // The local host's port is known only once it runs, and the emulator's templates are fixed at start: the
      // host starts first, on an app whose connection string is filled in after the emulator is up.
      const host = await startChildServer({ kind: 'localhost', config: { entry: 'dist/bench/apps/upstreamEcho.js' }, env: { AzureSignalRConnectionString: `Endpoint=http://127.0.0.1;Port=1;AccessKey=${BENCH_ACCESS_KEY};Version=1.0;` }, execArgv: ctx.childExecArgv });
      servers.push(host);
      const emulator = await startChildServer({
        kind: 'emulator',
        config: {
          accessKey: BENCH_ACCESS_KEY,
          upstreamTemplates: [
            { urlTemplate: `${String(host.info.url)}/api/signalr/upstream`, hubPattern: 'ours', categoryPattern: '*', eventPattern: '*' },
            { urlTemplate: `${String(plain.info.url)}/`, hubPattern: 'baseline', categoryPattern: '*', eventPattern: '*' },
          ],
        },
        execArgv: ctx.childExecArgv,
      });
      servers.push(emulator);
      const emulatorUrl = String(emulator.info.url);
      const sides: Record<'ours' | 'baseline', HubConnection[]> = { ours: [], baseline: [] };
      for (let i = 0; i < CONNECTIONS; i++) {
        for (const side of ['ours', 'baseline'] as const) {
          const connection = await connect(emulatorUrl, side);
          connections.push(connection);
          sides[side].push(connection);
        }
      }
      const run = async (side: 'ours' | 'baseline', invocations: number): Promise<Metrics> => {
        const { latencies, lost, wrong } = await drive(sides[side], ratePerSecond, invocations, 10_000);
        if (wrong > 0) throw new Error(`${wrong} invocations came back with another value`);
        return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? Number.NaN, lost };
      };
      // Warm both paths (JIT, kept-alive sockets) before anything is recorded.
      await run('ours', ctx.quick ? 10 : ratePerSecond * 2);
      await run('baseline', ctx.quick ? 10 : ratePerSecond * 2);
      return {
        groups: [
          {
            name: 'upstream',
            rounds: 3,
            roundTimeoutMs: seconds * 1000 + 30000,
            sides: { ours: () => run('ours', count), baseline: () => run('baseline', count) },
            rows: [
              { label: `invoke round trip p50 @${ratePerSecond}/s`, metric: 'p50', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `invoke round trip p99 @${ratePerSecond}/s`, metric: 'p99', unit: 'ms', ours: 'ours', baseline: 'baseline', target: oursAtMost(20, 'ms') },
              { label: `invoke round trip max @${ratePerSecond}/s`, metric: 'max', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `invocations lost of ${count}`, metric: 'lost', unit: 'msgs', ours: 'ours', baseline: 'baseline', target: oursAtMost(0, 'msgs') },
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
