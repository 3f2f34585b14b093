/**
 * Scenario 1, negotiate, measured twice:
 * - in process, where our code's cost shows: the negotiate function itself (settings, caller, token, answer)
 *   called with a real HttpRequest and InvocationContext, vs an HS256 token written by hand plus its JSON answer;
 * - through our local host (information: what a developer's machine gives), vs a plain `node:http` server
 *   answering a fixed JSON body of the same size. On Azure the Functions host, not ours, carries the HTTP part.
 *
 * Placement (2 cores): each server runs in its own child process; the load generator is the raw
 * keep-alive socket generator (bench/lib/rawHttpLoad.ts, 64 sockets with one request in flight each)
 * in the bench process, identical for both sides, and cheap enough that the server is the bottleneck.
 */
import http from 'node:http';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { negotiate } from '../../functions/negotiate';
import { ratioAtLeast, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { runClosedLoop } from '../lib/closedLoop';
import { HandJwtSigner } from '../lib/handJwt';
import { readCpuMicros, startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { httpPost } from '../lib/httpPost';
import { buildRequest, runRawLoad } from '../lib/rawHttpLoad';

/** Negotiate only signs a token, so the connection string need not point at a running service. */
export const NEGOTIATE_APP_SETTINGS = {
  AzureSignalRConnectionString: `Endpoint=http://127.0.0.1;Port=8888;AccessKey=${BENCH_ACCESS_KEY};Version=1.0;`,
  SignalRHubName: 'chat',
  SignalRAllowClientUserId: 'false',
};

const NEGOTIATE_HEADERS = { 'x-ms-client-principal-id': 'bench-user' };

function negotiateRequest(server: ChildServer): { host: string; port: number; request: Buffer } {
  const url = new URL(String(server.info.url));
  const request = buildRequest('POST', '/api/negotiate', url.host, NEGOTIATE_HEADERS);
  return { host: url.hostname, port: Number(url.port), request };
}

/**
 * The negotiate function's own cost: its handler called in this process with a real HttpRequest and
 * InvocationContext (made once: creating them is the host's work, not the function's), against the least a
 * negotiate can do: sign an HS256 token by hand and serialize `{url, accessToken}`.
 */
function inProcessGroup(ctx: RunContext) {
  const durationMs = ctx.quick ? 200 : 1000;
  const request = new HttpRequest({ method: 'POST', url: 'http://localhost:7071/api/negotiate', headers: { 'x-ms-client-principal-id': 'bench-user' } });
  const context = new InvocationContext({ functionName: 'negotiate', logHandler: () => undefined });
  const signer = new HandJwtSigner(BENCH_ACCESS_KEY);
  const clientUrl = 'http://127.0.0.1:8888/client/?hub=chat';
  const withSettings = async (run: () => Promise<Metrics>): Promise<Metrics> => {
    const saved = Object.fromEntries(Object.keys(NEGOTIATE_APP_SETTINGS).map((name) => [name, process.env[name]]));
    Object.assign(process.env, NEGOTIATE_APP_SETTINGS);
    try {
      return await run();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };
  const side = (operation: () => Promise<unknown>) => () =>
    withSettings(async () => {
      const result = await runClosedLoop(1, durationMs, operation);
      return { rate: result.rate, microsPerCall: 1000 / result.rate * 1000 };
    });
  return {
    name: 'negotiate-in-process',
    warmup: true,
    roundTimeoutMs: durationMs + 10000,
    sides: {
      ours: side(async () => {
        const response = await negotiate(request, context);
        if (response.status !== 200) throw new Error(`negotiate answered ${String(response.status)}`);
      }),
      baseline: side(async () => JSON.stringify({ url: clientUrl, accessToken: signer.sign({ aud: clientUrl, 'asrs.s.uid': 'bench-user' }) })),
    },
    rows: [
      { label: 'negotiate function in process vs hand HS256 + JSON', metric: 'rate', unit: 'calls/s', ours: 'ours', baseline: 'baseline', target: ratioAtLeast(0.5) },
    ],
  };
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
      // One request, answered however long a fresh host takes (its first one loads the token code), to learn the
      // answer's size (and that it works) before sizing the baseline's body.
      const probeAgent = new http.Agent();
      const probe = await httpPost(probeAgent, `${String(ours.info.url)}/api/negotiate`, NEGOTIATE_HEADERS, '').finally(() => probeAgent.destroy());
      if (probe.status !== 200) throw new Error(`negotiate probe answered ${probe.status}: ${probe.body.slice(0, 200)}`);
      const probeBodyLength = Buffer.byteLength(probe.body);
      const plain = await startChildServer({ kind: 'plain-json', config: { bodyLength: probeBodyLength }, execArgv: ctx.childExecArgv });
      servers.push(plain);
      const plainTarget = negotiateRequest(plain);
      ctx.log(`  negotiate answer: ${probeBodyLength} bytes`);

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
              { label: 'negotiate: local host vs node:http', metric: 'rate', unit: 'req/s', ours: 'ours', baseline: 'baseline' },
              { label: 'negotiate: server CPU per request', metric: 'cpuMicrosPerRequest', unit: 'µs', ours: 'ours', baseline: 'baseline' },
            ],
          },
          inProcessGroup(ctx),
        ],
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
