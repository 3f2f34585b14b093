/**
 * Scenario 1, negotiate: requests per second to the app's negotiate function served by our local
 * host, vs a plain `node:http` server answering a fixed JSON body of the same size.
 *
 * Placement (2 cores): each server runs in its own child process; the load generator is the raw
 * keep-alive socket generator (bench/lib/rawHttpLoad.ts, 64 sockets with one request in flight each)
 * in the bench process, identical for both sides, and cheap enough that the server is the bottleneck.
 */
import { ratioAtLeast, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { readCpuMicros, startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { buildRequest, runRawLoad } from '../lib/rawHttpLoad';

/** Negotiate only signs a token, so the connection string need not point at a running service. */
export const NEGOTIATE_APP_SETTINGS = {
  AzureSignalRConnectionString: `Endpoint=http://127.0.0.1;Port=8888;AccessKey=${BENCH_ACCESS_KEY};Version=1.0;`,
  SignalRHubName: 'chat',
  SignalRAllowClientUserId: 'false',
};

function negotiateRequest(server: ChildServer): { host: string; port: number; request: Buffer } {
  const url = new URL(String(server.info.url));
  const request = buildRequest('POST', '/api/negotiate', url.host, { 'x-ms-client-principal-id': 'bench-user' });
  return { host: url.hostname, port: Number(url.port), request };
}

export const negotiateScenario: Scenario = {
  name: 'negotiate',
  description: 'negotiate requests/s through the local host vs plain node:http fixed JSON (64 in flight)',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const durationMs = ctx.quick ? 300 : 2000;
    const connections = ctx.quick ? 8 : 64;
    const servers: ChildServer[] = [];
    const close = async (): Promise<void> => {
      for (const server of servers) await server.close();
    };
    try {
      const ours = await startChildServer({ kind: 'localhost', env: NEGOTIATE_APP_SETTINGS, execArgv: ctx.childExecArgv });
      servers.push(ours);
      const oursTarget = negotiateRequest(ours);
      // One request to learn the answer's size (and that it works) before sizing the baseline's body.
      const probe = await runRawLoad({ ...oursTarget, connections: 1, durationMs: 100 });
      if (probe.completed === 0 || Object.keys(probe.statuses).some((s) => s !== '200')) {
        throw new Error(`negotiate probe answered ${JSON.stringify(probe.statuses)}`);
      }
      const plain = await startChildServer({ kind: 'plain-json', config: { bodyLength: probe.lastBodyLength }, execArgv: ctx.childExecArgv });
      servers.push(plain);
      const plainTarget = negotiateRequest(plain);
      ctx.log(`  negotiate answer: ${probe.lastBodyLength} bytes`);

      // Besides the rate, the server's CPU time per request: it does not depend on how busy the machine is.
      const side = (server: ChildServer, target: typeof oursTarget) => async () => {
        const cpuBefore = await readCpuMicros(server);
        const result = await runRawLoad({ ...target, connections, durationMs });
        const cpuMicros = (await readCpuMicros(server)) - cpuBefore;
        const bad = Object.entries(result.statuses).filter(([status]) => status !== '200');
        if (bad.length > 0) throw new Error(`non-200 answers: ${JSON.stringify(result.statuses)}`);
        return { rate: result.rate, cpuMicrosPerRequest: cpuMicros / result.completed, bodyBytes: result.lastBodyLength };
      };
      return {
        groups: [
          {
            name: 'negotiate',
            warmup: true,
            roundTimeoutMs: durationMs + 15000,
            sides: { ours: side(ours, oursTarget), baseline: side(plain, plainTarget) },
            rows: [
              { label: 'negotiate: local host vs node:http', metric: 'rate', unit: 'req/s', ours: 'ours', baseline: 'baseline', target: ratioAtLeast(0.7) },
              { label: 'negotiate: server CPU per request', metric: 'cpuMicrosPerRequest', unit: 'µs', ours: 'ours', baseline: 'baseline' },
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
