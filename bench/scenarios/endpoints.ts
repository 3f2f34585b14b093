/**
 * Scenario 8, several endpoints: a broadcast through the output adapter (`withSignalR` flushing a `signalR`
 * output) to three SignalR Service instances vs the same broadcast to one, in the same rounds, reaching the same
 * number of clients: 3 x N clients spread over three emulator processes vs 3N clients on a fourth. That is the
 * scale-out story (the same users, on three instances instead of one), and it keeps the delivery work per
 * broadcast equal, which on a 2-core machine would otherwise decide the result: three instances delivering three
 * times the messages compete for the same two cores, where real instances run on machines of their own.
 *
 * The adapter calls the three concurrently, so a broadcast should take about as long as to one instance (target:
 * latency ratio <= 1.5; calling them one after the other would be about 3). Two groups:
 * - on loopback: a call is CPU on both sides and no waiting, and the client's part of three calls (~0.2 ms each,
 *   on one event loop) cannot overlap; this shows what the fan-out costs in CPU;
 * - 5 ms away each way (bench/servers/delayProxy.ts, in front of all four instances): waiting dominates, as it
 *   does over a network, and shows whether the three calls overlap.
 *
 * A round sends a fixed number of broadcasts one at a time (one in flight: the adapter call's duration is the
 * latency, not queueing behind other calls), timing each call, and ends when every client has counted every
 * broadcast, so deliveries/s (first call to last receipt) counts what arrived. Each instance's clients are raw
 * `ws` clients in a worker thread of their own, connected to the instance directly.
 */
import { resetSignalRServiceCache } from '../../src/client/service';
import { median, ratioAtMost, type Group, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { adapterSender } from '../lib/adapterSend';
import { startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY, connectionStringFor, MESSAGE_TARGET, messageArguments } from '../lib/constants';
import { epochNow, RemoteHarness } from '../lib/harnessWorker';
import { percentile } from '../lib/openLoop';

const HUB = 'endpointsbench';
/** Network distance added by the delay proxy, each way. */
const ONE_WAY_DELAY_MS = 5;

interface Instance {
  server: ChildServer;
  harness: RemoteHarness;
  clients: number;
}

async function measure(send: () => Promise<void>, instances: readonly Instance[], sends: number): Promise<Metrics> {
  await Promise.all(instances.map((instance) => instance.harness.reset()));
  const latencies: number[] = [];
  const started = epochNow();
  for (let i = 0; i < sends; i++) {
    const before = performance.now();
    await send();
    latencies.push(performance.now() - before);
  }
  const waits = await Promise.all(instances.map((instance) => instance.harness.wait(sends * instance.clients, 30000)));
  let delivered = 0;
  waits.forEach((wait, i) => {
    const expected = sends * instances[i]!.clients;
    if (wait.dropped > 0) throw new Error(`instance ${i + 1} dropped ${wait.dropped} clients`);
    if (wait.count < expected) throw new Error(`instance ${i + 1}: lost ${expected - wait.count} of ${expected} records`);
    delivered += wait.count;
  });
  const lastReceipt = Math.max(...waits.map((wait) => wait.lastReceipt));
  latencies.sort((a, b) => a - b);
  return { rate: (delivered * 1000) / (lastReceipt - started), p50: median(latencies), p99: percentile(latencies, 99) };
}

export const endpointsScenario: Scenario = {
  name: 'endpoints',
  description: 'broadcast through the output adapter to 3 SignalR Service endpoints (3 emulators) vs to 1: deliveries/s and latency',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const clientsPerInstance = ctx.quick ? 5 : 100;
    const sends = ctx.quick ? 10 : 200;
    const closers: Array<() => Promise<void> | void> = [];
    const close = async (): Promise<void> => {
      for (const closer of closers.reverse()) await closer();
    };
    const startInstance = async (clients: number): Promise<Instance> => {
      const server = await startChildServer({ kind: 'emulator', config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
      closers.push(() => server.close());
      const harness = new RemoteHarness({ mode: 'negotiate', baseUrl: String(server.info.url), hub: HUB, clients, protocol: 'json', accessKey: BENCH_ACCESS_KEY });
      closers.push(() => harness.close());
      await harness.connect();
      return { server, harness, clients };
    };
    try {
      const three: Instance[] = [];
      for (let i = 0; i < 3; i++) three.push(await startInstance(clientsPerInstance));
      const single = await startInstance(3 * clientsPerInstance);
      // The same four instances 5 ms away each way, as instances in a nearby region are.
      const proxy = await startChildServer({
        kind: 'delay-proxy',
        config: { upstreams: [...three, single].map((instance) => String(instance.server.info.url)), oneWayDelayMs: ONE_WAY_DELAY_MS },
      });
      closers.push(() => proxy.close());
      closers.push(() => resetSignalRServiceCache());
      ctx.log(`  endpoints: ${clientsPerInstance} json clients on each of 3 emulators, ${3 * clientsPerInstance} on a fourth`);

      const message = { target: MESSAGE_TARGET, arguments: messageArguments(1) };
      const threeEndpoints = (urls: readonly string[]): Record<string, string> =>
        Object.fromEntries(urls.map((url, i) => [`Azure__SignalR__Endpoints__bench${i + 1}`, connectionStringFor(url)]));
      const oneEndpoint = (url: string): Record<string, string> => ({ AzureSignalRConnectionString: connectionStringFor(url) });
      const direct = [...three, single].map((instance) => String(instance.server.info.url));
      const far = [0, 1, 2, 3].map((i) => String(proxy.info[`url${i}`]));

      const group = (name: string, urls: readonly string[], where: string): Group => {
        const toThree = adapterSender(threeEndpoints(urls.slice(0, 3)), HUB, message);
        const toOne = adapterSender(oneEndpoint(urls[3]!), HUB, message);
        return {
        name,
        warmup: true,
        rounds: 3,
        roundTimeoutMs: 90000,
        sides: {
          three: () => measure(toThree, three, sends),
          one: () => measure(toOne, [single], sends),
        },
        rows: [
          { label: `endpoints ${where}: broadcast via adapter to ${3 * clientsPerInstance} clients, 3 endpoints vs 1`, metric: 'rate', unit: 'deliv/s', ours: 'three', baseline: 'one' },
          { label: `endpoints ${where}: adapter broadcast latency p50, 3 endpoints vs 1`, metric: 'p50', unit: 'ms', ours: 'three', baseline: 'one', target: ratioAtMost(1.5) },
          { label: `endpoints ${where}: adapter broadcast latency p99, 3 endpoints vs 1`, metric: 'p99', unit: 'ms', ours: 'three', baseline: 'one' },
        ],
        };
      };
      return {
        groups: [group('endpoints-loopback', direct, 'on loopback'), group('endpoints-5ms', far, `${ONE_WAY_DELAY_MS} ms away`)],
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
