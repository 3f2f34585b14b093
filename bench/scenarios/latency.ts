/**
 * Scenario 5, latency: time from issuing the `sendMessage` HTTP call (our function on the local host,
 * which sends through the output adapter to the emulator) to the message's arrival in an
 * `@microsoft/signalr` client connected through the app's negotiate. Open-loop: messages go out on a
 * fixed schedule (1,000/s for 10 s) whatever the answers do, each carries a sequence number, and
 * every missing one is counted as lost.
 *
 * Baseline: the same client (skipNegotiation, WebSockets) on the plain `ws` hub server, which writes
 * the record to its sockets when it receives the same POST. Placement: servers in child processes;
 * driver and client in the bench process (both light at this rate), sharing one clock. Each round also
 * reports the CPU per message of every server process on the path: at 1,000/s, 1,000 µs per message is
 * one whole core of the machine's two.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { oursAtMost, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { readCpuMicros, startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY, MESSAGE_TARGET } from '../lib/constants';
import { httpPost } from '../lib/httpPost';
import { percentile, runOpenLoop } from '../lib/openLoop';

const HUB = 'latency';

interface Endpoint {
  /** The server processes on this path, whose event-loop delay and CPU per message are reported with each round. */
  servers: Array<{ name: string; server: ChildServer }>;
  connection: HubConnection;
  sendUrl: string;
  received: Map<number, number>;
}

async function connect(url: string, direct: boolean, received: Map<number, number>): Promise<HubConnection> {
  const connection = new HubConnectionBuilder()
    .withUrl(url, direct ? { skipNegotiation: true, transport: HttpTransportType.WebSockets } : {})
    .configureLogging(LogLevel.None)
    .build();
  connection.on(MESSAGE_TARGET, (message: unknown) => {
    const at = performance.now();
    const sequence = typeof message === 'object' && message !== null ? (message as { sequence?: unknown }).sequence : undefined;
    if (typeof sequence === 'number') received.set(sequence, at);
  });
  await connection.start();
  return connection;
}

/**
 * Sends `count` messages at `ratePerSecond` on a fixed schedule; resolves with the send times of the accepted
 * ones. A call refused with 429/503 (host.json throttles) is counted, not failed: refusing quickly is what a host
 * past its capacity should do, and the refused row says how often it happened.
 */
async function drive(
  endpoint: Endpoint,
  agent: http.Agent,
  ratePerSecond: number,
  count: number,
  firstSequence: number,
): Promise<{ sentAt: Map<number, number>; refused: number; failures: string[] }> {
  const sentAt = new Map<number, number>();
  const failures: string[] = [];
  let refused = 0;
  await runOpenLoop(ratePerSecond, count, (index, dueAt) => {
    const sequence = firstSequence + index;
    const body = JSON.stringify({ target: MESSAGE_TARGET, arguments: [{ text: 'latency probe', sequence }] });
    sentAt.set(sequence, dueAt);
    return httpPost(agent, endpoint.sendUrl, { 'Content-Type': 'application/json' }, body).then(
      (reply) => {
        if (reply.status === 429 || reply.status === 503) {
          refused += 1;
          sentAt.delete(sequence);
        } else if (reply.status !== 202) failures.push(`status ${reply.status}: ${reply.body.slice(0, 200)}`);
      },
      (error: unknown) => {
        failures.push(String(error));
      },
    );
  });
  return { sentAt, refused, failures };
}

async function waitForAll(endpoint: Endpoint, sentAt: Map<number, number>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let missing = false;
    for (const sequence of sentAt.keys()) {
      if (!endpoint.received.has(sequence)) {
        missing = true;
        break;
      }
    }
    if (!missing) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const latencyScenario: Scenario = {
  name: 'latency',
  description: 'sendMessage HTTP call to receipt in an @microsoft/signalr client, open loop',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const ratePerSecond = ctx.quick ? 100 : 1000;
    const seconds = ctx.quick ? 0.5 : 10;
    const count = Math.round(ratePerSecond * seconds);
    const servers: ChildServer[] = [];
    const connections: HubConnection[] = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const close = async (): Promise<void> => {
      for (const connection of connections) await connection.stop();
      agent.destroy();
      for (const server of servers.reverse()) await server.close();
    };
    try {
      const emulator = await startChildServer({ kind: 'emulator', config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
      servers.push(emulator);
      const host = await startChildServer({
        kind: 'localhost',
        env: { AzureSignalRConnectionString: String(emulator.info.connectionString), SignalRHubName: HUB, SignalRAllowClientUserId: 'false' },
        execArgv: ctx.childExecArgv,
      });
      servers.push(host);
      const plain = await startChildServer({ kind: 'plain-hub', execArgv: ctx.childExecArgv });
      servers.push(plain);

      const oursReceived = new Map<number, number>();
      const ours: Endpoint = {
        servers: [
          { name: 'host', server: host },
          { name: 'emulator', server: emulator },
        ],
        connection: await connect(`${String(host.info.url)}/api`, false, oursReceived),
        sendUrl: `${String(host.info.url)}/api/sendMessage`,
        received: oursReceived,
      };
      connections.push(ours.connection);
      const baselineReceived = new Map<number, number>();
      const baseline: Endpoint = {
        servers: [{ name: 'host', server: plain }],
        connection: await connect(`${String(plain.info.url)}/client/?hub=${HUB}`, true, baselineReceived),
        sendUrl: `${String(plain.info.url)}/api/hubs/${HUB}/:send`,
        received: baselineReceived,
      };
      connections.push(baseline.connection);

      let sequence = 0;
      const run = async (endpoint: Endpoint, messages: number): Promise<Metrics> => {
        endpoint.received.clear();
        const first = sequence;
        sequence += messages;
        for (const { server } of endpoint.servers) await server.request('loop');
        const cpuBefore = await Promise.all(endpoint.servers.map(({ server }) => readCpuMicros(server)));
        const { sentAt, refused, failures } = await drive(endpoint, agent, ratePerSecond, messages, first);
        if (failures.length > 0) throw new Error(`${failures.length} sendMessage calls failed, first: ${failures[0]}`);
        await waitForAll(endpoint, sentAt, 5000);
        // CPU per message of each process on the path: at this rate, how much of the machine's two cores it takes.
        const cpuPerMessage: Metrics = {};
        let pathCpu = 0;
        for (const [index, { name, server }] of endpoint.servers.entries()) {
          const used = (await readCpuMicros(server)) - (cpuBefore[index] ?? 0);
          cpuPerMessage[`${name}CpuMicrosPerMessage`] = used / messages;
          pathCpu += used;
        }
        cpuPerMessage.serversCpuMicrosPerMessage = pathCpu / messages;
        const latencies: number[] = [];
        let lost = 0;
        for (const [seq, at] of sentAt) {
          const arrived = endpoint.received.get(seq);
          if (arrived === undefined) lost++;
          else latencies.push(arrived - at);
        }
        if (process.env.BENCH_LATENCY_DUMP) {
          // Diagnosis aid: every message's send time and latency, to see when the slow ones happen.
          const rows = [...sentAt].map(([seq, at]) => `${seq},${(at - sentAt.values().next().value!).toFixed(2)},${((endpoint.received.get(seq) ?? Number.NaN) - at).toFixed(3)}`);
          appendFileSync(process.env.BENCH_LATENCY_DUMP, `${rows.join('\n')}\n`);
        }
        latencies.sort((a, b) => a - b);
        const loops: Metrics = {};
        for (const { name, server } of endpoint.servers) {
          const loop = (await server.request('loop')) as { p99: number; max: number };
          loops[`${name}LoopDelayMaxMs`] = loop.max;
        }
        return { ...loops, ...cpuPerMessage, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? Number.NaN, lost, refused, sent: messages };
      };
      // Warm both paths (JIT, sockets, token caches) before anything is recorded. Measured: a cold local host
      // serves fewer than 1,000 sendMessage calls/s for its first ~3 s, so a shorter warm-up puts that queue
      // into the first round's p99.
      const warmupMessages = ctx.quick ? Math.min(count, ratePerSecond / 2) : ratePerSecond * 4;
      await run(ours, warmupMessages);
      await run(baseline, warmupMessages);

      return {
        groups: [
          {
            name: 'latency',
            rounds: 3,
            roundTimeoutMs: seconds * 1000 + 30000,
            sides: { ours: () => run(ours, count), baseline: () => run(baseline, count) },
            rows: [
              { label: `latency p50 @${ratePerSecond}/s`, metric: 'p50', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `latency p99 @${ratePerSecond}/s`, metric: 'p99', unit: 'ms', ours: 'ours', baseline: 'baseline', target: oursAtMost(10, 'ms') },
              { label: `latency max @${ratePerSecond}/s`, metric: 'max', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `latency: messages lost of ${count}`, metric: 'lost', unit: 'msgs', ours: 'ours', baseline: 'baseline', target: oursAtMost(0, 'msgs') },
              { label: `latency: calls refused (429/503) of ${count}`, metric: 'refused', unit: 'calls', ours: 'ours', baseline: 'baseline', target: oursAtMost(0, 'calls') },
              { label: `latency: server CPU per message @${ratePerSecond}/s, local host + emulator vs plain hub`, metric: 'serversCpuMicrosPerMessage', unit: 'µs', ours: 'ours', baseline: 'baseline' },
              { label: `latency: local host CPU per sendMessage @${ratePerSecond}/s vs plain hub per message`, metric: 'hostCpuMicrosPerMessage', unit: 'µs', ours: 'ours', baseline: 'baseline' },
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
