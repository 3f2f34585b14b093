/**
 * Scenario 6, connections: server RSS per connection with N clients connected and handshaken, our
 * emulator (negotiate + WebSocket + handshake) vs a plain `ws` server holding the same number of
 * sockets (handshake answered too). Each round starts a fresh server child process, reads its RSS
 * after a full GC, connects the clients from this process, reads the RSS again after a full GC:
 * (after - before) / N. Only the server's memory is counted, never the harness's.
 */
import { readFileSync } from 'node:fs';
import { ratioAtMost, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { readRss, startChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { HubHarness } from '../lib/hubHarness';

/** Source addresses for client sockets: 10,000 per side per round would otherwise exhaust ephemeral ports. */
const SOURCE_ADDRESSES = 16;

async function measure(kind: 'emulator' | 'plain-hub', clients: number, ctx: RunContext): Promise<Metrics> {
  const server = await startChildServer({ kind, config: { accessKey: BENCH_ACCESS_KEY }, execArgv: ctx.childExecArgv });
  const harness = new HubHarness({
    mode: kind === 'emulator' ? 'negotiate' : 'direct',
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
    const before = await readRss(server);
    const started = performance.now();
    await harness.connectAll();
    const connectMs = performance.now() - started;
    const after = await readRss(server);
    return { bytesPerConnection: (after - before) / clients, kbPerConnection: (after - before) / clients / 1024, connectMs, rssMB: after / 1048576 };
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
  description: 'server RSS per connected client: emulator vs plain ws server',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const clients = ctx.quick ? 50 : 10000;
    checkFileLimit(clients);
    return {
      groups: [
        {
          name: 'connections',
          rounds: 3,
          roundTimeoutMs: 180000,
          sides: {
            ours: () => measure('emulator', clients, ctx),
            baseline: () => measure('plain-hub', clients, ctx),
          },
          rows: [
            {
              label: `connections: RSS per conn (${clients})`,
              metric: 'kbPerConnection',
              unit: 'KB/conn',
              ours: 'ours',
              baseline: 'baseline',
              target: ratioAtMost(2),
            },
            { label: `connections: time to connect ${clients}`, metric: 'connectMs', unit: 'ms', ours: 'ours', baseline: 'baseline' },
          ],
        },
      ],
      close: async () => undefined,
    };
  },
};
