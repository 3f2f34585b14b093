/**
 * Connections: server RSS per connection with N clients connected and handshaken, and the time to connect
 * them all, our emulator (negotiate + WebSocket + handshake) vs a plain `ws` server holding the same number of
 * sockets (handshake answered too). Each round starts a fresh server child process, reads its RSS after a full
 * GC, connects the clients from this process, reads the RSS again after a full GC: (after - before) / N. Only
 * the server's memory is counted, never the harness's. Two more sides split the connect time: both servers
 * with the same hops (both negotiating; both straight to the WebSocket), and the server's CPU per connect,
 * which a busy machine does not distort.
 */
import { readFileSync } from 'node:fs';
import { ratioAtMost, type Metrics, type RowSpec, type RunContext, type Scenario, type ScenarioSession, type Target } from '../framework';
import { readCpuMicros, readMemory, startChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { HubHarness, type HarnessConfig } from '../lib/hubHarness';

/** Source addresses for client sockets: 10,000 per side per round would otherwise exhaust ephemeral ports. */
const SOURCE_ADDRESSES = 16;

async function measure(kind: 'emulator' | 'plain-hub', mode: HarnessConfig['mode'], clients: number, ctx: RunContext): Promise<Metrics> {
  const server = await startChildServer({ kind, config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
  const harness = new HubHarness({
    mode,
    baseUrl: String(server.info.url),
    hub: 'conns',
    clients,
    protocol: 'json',
    accessKey: BENCH_ACCESS_KEY,
    userPrefix: 'user',
    setupConcurrency: 128,
    sourceAddresses: SOURCE_ADDRESSES,
  });
  try {
    const before = await readMemory(server);
    const cpuBefore = await readCpuMicros(server);
    const harnessCpu = process.cpuUsage();
    const started = performance.now();
    await harness.connectAll();
    const connectMs = performance.now() - started;
    const harnessCpuUsed = process.cpuUsage(harnessCpu);
    const cpuAfter = await readCpuMicros(server);
    const after = await readMemory(server);
    const perConnection = (field: keyof NodeJS.MemoryUsage): number => (after[field] - before[field]) / clients;
    return {
      bytesPerConnection: perConnection('rss'),
      kbPerConnection: perConnection('rss') / 1024,
      connectMs,
      // The server's CPU to accept one connection: the part of connect time that is ours, whatever the load.
      connectCpuMicros: (cpuAfter - cpuBefore) / clients,
      // The clients' side (this process): negotiating costs the clients too, and both share the machine.
      clientCpuMicros: (harnessCpuUsed.user + harnessCpuUsed.system) / clients,
      rssMB: after.rss / 1048576,
      // Where the RSS per connection goes: JS objects, the heap V8 keeps reserved, and memory outside the heap.
      heapUsedPerConnection: perConnection('heapUsed'),
      heapTotalPerConnection: perConnection('heapTotal'),
      externalPerConnection: perConnection('external'),
    };
  } finally {
    await harness.close();
    await server.close();
  }
}

/**
 * Each client socket is one fd in this process, each server socket one in the child (which inherits
 * this limit). Node cannot raise its own limit, so say what to do instead of failing with EMFILE.
 */
export function checkFileLimit(clients: number): void {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return; // not Linux: let the run find out
  }
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!match || match[1] === 'unlimited') return;
  const needed = clients + 1000;
  if (Number(match[1]) < needed) {
    throw new Error(`the open-file limit is ${match[1]}, below the ${needed} this scenario needs: run 'ulimit -n ${needed}' first`);
  }
}

export const connectionsScenario: Scenario = {
  name: 'connections',
  description: 'server RSS per connected client and time to connect them all: emulator vs plain ws server',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const clients = ctx.quick ? 50 : 10000;
    checkFileLimit(clients);
    const row = (label: string, metric: string, unit: string, ours: string, baseline: string, target?: Target): RowSpec => ({
      label: `connections: ${label}`,
      metric,
      unit,
      ours,
      baseline,
      ...(target === undefined ? {} : { target }),
    });
    return {
      groups: [
        {
          name: 'connections',
          rounds: 2,
          roundTimeoutMs: 180000,
          sides: {
            // What the official client does by default: negotiate, then the WebSocket.
            ours: () => measure('emulator', 'negotiate', clients, ctx),
            baseline: () => measure('plain-hub', 'direct', clients, ctx),
            // The same hops on both sides, to tell the extra round trip apart from what our server adds.
            oursSkippingNegotiate: () => measure('emulator', 'token', clients, ctx),
            baselineNegotiating: () => measure('plain-hub', 'negotiate', clients, ctx),
          },
          rows: [
            row(`RSS per conn (${clients})`, 'kbPerConnection', 'KB/conn', 'ours', 'baseline', ratioAtMost(1.3)),
            row(`time to connect ${clients}`, 'connectMs', 'ms', 'ours', 'baseline', ratioAtMost(1.5)),
            row(`time to connect ${clients}, both negotiating first`, 'connectMs', 'ms', 'ours', 'baselineNegotiating', ratioAtMost(1.5)),
            row(`time to connect ${clients}, both straight to the WebSocket`, 'connectMs', 'ms', 'oursSkippingNegotiate', 'baseline', ratioAtMost(1.5)),
            row('server CPU per connect', 'connectCpuMicros', 'us', 'ours', 'baseline'),
            row('server CPU per connect, both negotiating first', 'connectCpuMicros', 'us', 'ours', 'baselineNegotiating'),
          ],
        },
      ],
      close: async () => undefined,
    };
  },
};
