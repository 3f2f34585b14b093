/**
 * Scenario 4, fan-out: deliveries per second of REST broadcasts (and group sends) from our emulator
 * to many WebSocket clients, vs a plain `ws` server writing the same framed bytes to the same client
 * harness.
 *
 * Placement (2 cores): each server in its own child process (one core), the clients in harness worker
 * threads of the bench process (the other core), the REST driver in the bench main thread (light: a few
 * POSTs in flight). A round sends a fixed number of messages and measures from the first POST until the
 * harness has counted every expected record, so buffering inside a server cannot flatter it, and a lost
 * record fails the round.
 *
 * The JSON group also measures a second plain `ws` server against the first (A/A: the same code, the same clients
 * of both hubs, in a process of its own): how far apart two sides that differ only in being two processes land in
 * the same run. A ratio of ours to plain `ws` inside that spread is not a difference the run can show.
 */
import { allOf, oursAtLeast, ratioAtLeast, type Group, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { readCpuMicros, startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY, MESSAGE_TARGET, messageArguments } from '../lib/constants';
import { epochNow, RemoteHarness } from '../lib/harnessWorker';
import type { HubProtocolName } from '../lib/hubFrames';
import { RestDriver } from '../lib/restDriver';

const GROUP = 'bench-group';
const SENDS_IN_FLIGHT = 8;

interface FanoutSizes {
  clients: number;
  groupSize: number;
  deliveriesPerRound: number;
}

export function fanoutTarget(): ReturnType<typeof allOf> {
  return allOf(ratioAtLeast(0.9), oursAtLeast(100000, '/s'));
}

export async function measureFanout(
  server: ChildServer,
  harness: RemoteHarness,
  driver: RestDriver,
  path: string,
  recipients: number,
  deliveries: number,
): Promise<Metrics> {
  const sends = Math.max(1, Math.ceil(deliveries / recipients));
  const expected = sends * recipients;
  const body = JSON.stringify({ target: MESSAGE_TARGET, arguments: messageArguments(1) });
  await harness.reset();
  const cpuBefore = await readCpuMicros(server);
  const started = epochNow();
  await driver.sendMany(path, body, sends, SENDS_IN_FLIGHT);
  const { count, lastReceipt, dropped } = await harness.wait(expected, 30000);
  if (dropped > 0) throw new Error(`the server dropped ${dropped} clients`);
  if (count < expected) throw new Error(`lost ${expected - count} of ${expected} records`);
  // Server CPU per delivery: robust to a busy machine, and shows where the time goes.
  const serverCpuNanosPerDelivery = (((await readCpuMicros(server)) - cpuBefore) * 1000) / count;
  return { rate: (count * 1000) / (lastReceipt - started), serverCpuNanosPerDelivery, sends };
}

async function openPair(
  ctx: RunContext,
  emulator: ChildServer,
  plain: ChildServer,
  hub: string,
  protocol: HubProtocolName,
  sizes: FanoutSizes,
  withGroup: boolean,
): Promise<{ ours: RemoteHarness; baseline: RemoteHarness; oursDriver: RestDriver; baselineDriver: RestDriver }> {
  const ours = new RemoteHarness({
    mode: 'negotiate',
    baseUrl: String(emulator.info.url),
    hub,
    clients: sizes.clients,
    protocol,
    accessKey: BENCH_ACCESS_KEY,
    sourceAddresses: 4,
  });
  const oursDriver = new RestDriver(String(emulator.info.url));
  const ids = await ours.connect();
  const { harness: baseline, driver: baselineDriver } = await connectPlainClients(plain, hub, protocol, sizes, withGroup);
  if (withGroup) {
    for (const id of ids.slice(0, sizes.groupSize)) {
      const status = await oursDriver.put(`/api/hubs/${hub}/groups/${GROUP}/connections/${encodeURIComponent(id)}`);
      if (status !== 200) throw new Error(`adding ${id} to the group answered ${status}`);
    }
  }
  ctx.log(`  fan-out ${hub}: ${sizes.clients} ${protocol} clients connected on each side`);
  return { ours, baseline, oursDriver, baselineDriver };
}

/** A plain server's clients (direct to the WebSocket, the group joined by query) and its REST driver. */
async function connectPlainClients(
  server: ChildServer,
  hub: string,
  protocol: HubProtocolName,
  sizes: FanoutSizes,
  withGroup: boolean,
): Promise<{ harness: RemoteHarness; driver: RestDriver }> {
  const harness = new RemoteHarness({
    mode: 'direct',
    baseUrl: String(server.info.url),
    hub,
    clients: sizes.clients,
    protocol,
    group: withGroup ? { name: GROUP, size: sizes.groupSize } : undefined,
    sourceAddresses: 4,
  });
  await harness.connect();
  return { harness, driver: new RestDriver(String(server.info.url)) };
}

export const fanoutScenario: Scenario = {
  name: 'fanout',
  description: 'REST broadcast / group send deliveries/s to WebSocket clients: emulator vs plain ws server',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const sizes: FanoutSizes = ctx.quick
      ? { clients: 20, groupSize: 5, deliveriesPerRound: 400 }
      : { clients: 1000, groupSize: 100, deliveriesPerRound: 200000 };
    const closers: Array<() => Promise<void> | void> = [];
    const close = async (): Promise<void> => {
      for (const closer of closers.reverse()) await closer();
    };
    try {
      const emulator = await startChildServer({ kind: 'emulator', config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
      closers.push(() => emulator.close());
      const plain = await startChildServer({ kind: 'plain-hub', execArgv: ctx.childExecArgv });
      closers.push(() => plain.close());
      const plainAgain = await startChildServer({ kind: 'plain-hub', execArgv: ctx.childExecArgv });
      closers.push(() => plainAgain.close());

      const groups: Group[] = [];
      for (const protocol of ['json', 'messagepack'] as const) {
        const hub = protocol === 'json' ? 'fanjson' : 'fanmsgpack';
        const withGroup = protocol === 'json';
        const pair = await openPair(ctx, emulator, plain, hub, protocol, sizes, withGroup);
        closers.push(async () => {
          pair.oursDriver.close();
          pair.baselineDriver.close();
          await pair.ours.close();
          await pair.baseline.close();
        });
        const broadcastPath = `/api/hubs/${hub}/:send`;
        const groupPath = `/api/hubs/${hub}/groups/${GROUP}/:send`;
        const deliveries = sizes.deliveriesPerRound;
        const group: Group = {
          name: `fanout-${protocol}`,
          warmup: true,
          rounds: 3,
          roundTimeoutMs: 60000,
          sides: {
            ours: () => measureFanout(emulator, pair.ours, pair.oursDriver, broadcastPath, sizes.clients, deliveries),
            baseline: () => measureFanout(plain, pair.baseline, pair.baselineDriver, broadcastPath, sizes.clients, deliveries),
          },
          rows: [
            {
              label: `fan-out: broadcast to ${sizes.clients} ${protocol}`,
              metric: 'rate',
              unit: 'deliv/s',
              ours: 'ours',
              baseline: 'baseline',
              target: fanoutTarget(),
            },
            {
              label: `fan-out: server CPU per delivery (${protocol})`,
              metric: 'serverCpuNanosPerDelivery',
              unit: 'ns',
              ours: 'ours',
              baseline: 'baseline',
            },
          ],
        };
        if (withGroup) {
          group.sides.oursGroup = () => measureFanout(emulator, pair.ours, pair.oursDriver, groupPath, sizes.groupSize, deliveries);
          group.sides.baselineGroup = () => measureFanout(plain, pair.baseline, pair.baselineDriver, groupPath, sizes.groupSize, deliveries);
          group.rows.push({
            label: `fan-out: group of ${sizes.groupSize} (of ${sizes.clients}) ${protocol}`,
            metric: 'rate',
            unit: 'deliv/s',
            ours: 'oursGroup',
            baseline: 'baselineGroup',
            target: fanoutTarget(),
          });
        }
        // The second plain server gets the clients the first one has (both hubs, the same group), so the two sides
        // of the A/A row differ only in being two processes.
        const again = await connectPlainClients(plainAgain, hub, protocol, sizes, withGroup);
        closers.push(async () => {
          again.driver.close();
          await again.harness.close();
        });
        if (protocol === 'json') {
          group.sides.baselineAgain = () => measureFanout(plainAgain, again.harness, again.driver, broadcastPath, sizes.clients, deliveries);
          group.rows.push({
            label: `fan-out A/A: a second plain ws vs the first, broadcast to ${sizes.clients} ${protocol}`,
            metric: 'rate',
            unit: 'deliv/s',
            ours: 'baselineAgain',
            baseline: 'baseline',
          });
        }
        groups.push(group);
      }
      return { groups, close };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
