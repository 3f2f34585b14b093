/**
 * Capacity, as Azure defines it: the highest sustained rate at which p99 latency stays under 1 s. Two pipelines,
 * each with ~100 B and 2 KB messages, ours against a pipeline with the same hops built from plain `node:http` and
 * `ws`:
 * - sendMessage: an HTTP call to the function app, which sends through the output adapter to the service, which
 *   delivers to one WebSocket client (`@microsoft/signalr`). Baseline: a `node:http` app forwarding the call to
 *   the plain hub server.
 * - broadcast: a REST broadcast from the output adapter (in this process) to 1,000 clients; latency is measured
 *   at a `@microsoft/signalr` client connected last, so it is the last delivery's. Baseline: a bare `node:http`
 *   POST to the plain hub server.
 *
 * Each side sweeps the offered rate upward (open loop, a fixed time per step) until a step misses (p99 >= 1 s,
 * a message lost, or more than 1% refused); the knee is the last step that held, and one more step runs at twice
 * the knee to show overload: past capacity, ours refuses quickly (host.json throttles answer 429, the REST client
 * past its calls in flight 503) where an unbounded pipeline makes everything wait. Every step's figures feed the
 * capacity chart (bench/capacity.svg).
 */
import http from 'node:http';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { HttpRequest, InvocationContext } from '@azure/functions';
import jwt from 'jsonwebtoken';
import { signalROutput, withSignalR } from '../../src/bindings';
import type { Metrics, RunContext, Scenario, ScenarioSession } from '../framework';
import { startChildServer, type ChildServer } from '../lib/childServer';
import { BENCH_ACCESS_KEY, MESSAGE_TARGET } from '../lib/constants';
import { RemoteHarness } from '../lib/harnessWorker';
import { httpPost, openConnections } from '../lib/httpPost';
import { percentile, runOpenLoop } from '../lib/openLoop';
import { RestDriver } from '../lib/restDriver';

export type PipelineName = 'sendMessage' | 'broadcast';

export interface CapacityStep {
  rate: number;
  p50: number;
  p99: number;
  /** How long accepted calls took to be answered (from when they were due), at p99: a call itself must not wait. */
  answerP99: number;
  /** Calls refused (429/503) and how quickly, at p99. */
  refused: number;
  refusedP99: number;
  /** Accepted, but never delivered. */
  lost: number;
  /** Answered with anything but 2xx, 429 or 503, or not answered at all. */
  failed: number;
  firstFailure: string | undefined;
  sent: number;
}

export interface CapacityCurve {
  pipeline: PipelineName;
  size: string;
  side: 'ours' | 'baseline';
  unit: string;
  /** WebSocket clients the messages go to. */
  clients: number;
  steps: CapacityStep[];
  knee: number;
  overload: CapacityStep | undefined;
}

/** The sweeps of the last run, for the chart and the JSON results. */
export const capacityCurves: CapacityCurve[] = [];

const SLA_MS = 1000;

/**
 * The callers of the function app: this many kept-alive connections, opened before a sweep, like as many users'
 * browsers, each with its connection. A pool that opened connections on demand would measure Node's accept
 * instead of the pipeline: a busy Node server accepts one connection per turn of its event loop, so new
 * connections opened during overload overflow the listen queue and wait for SYN retransmissions (1 s, 3 s),
 * on either side (bench/README.md, "Capacity").
 */
const CALLER_CONNECTIONS = 1024;

/** One side of a pipeline: how to send message `seq`, and where its arrivals are recorded. */
interface Side {
  send(seq: number): Promise<number>;
  arrivals: Map<number, number>;
}

/** A side with the probe client it opened, to close once its sweep is over. */
interface OpenSide {
  side: Side;
  close(): Promise<void>;
}

function payloadOf(bytes: number): string {
  return 'x'.repeat(Math.max(0, bytes - 60));
}

/** A sweep never offers more than this; a side still holding there reports it as its knee. */
const MAX_RATE = 64_000;

function holds(step: CapacityStep): boolean {
  return step.p99 < SLA_MS && step.lost === 0 && step.failed === 0 && step.refused <= step.sent * 0.01;
}

/** Hands out sequence numbers that are never reused in a run, so no arrival can be taken for another step's. */
interface Sequence {
  next: number;
}

async function runStep(side: Side, rate: number, seconds: number, sequence: Sequence): Promise<CapacityStep> {
  const count = Math.max(1, Math.round(rate * seconds));
  const firstSeq = sequence.next;
  sequence.next += count;
  const dueAt = new Map<number, number>();
  const accepted: number[] = [];
  const answerTimes: number[] = [];
  const refusedTimes: number[] = [];
  const failures: string[] = [];
  await runOpenLoop(rate, count, async (index, due) => {
    const seq = firstSeq + index;
    dueAt.set(seq, due);
    try {
      const status = await side.send(seq);
      if (status >= 200 && status < 300) {
        accepted.push(seq);
        answerTimes.push(performance.now() - due);
      } else if (status === 429 || status === 503) refusedTimes.push(performance.now() - due);
      else failures.push(`status ${status}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  });
  // Wait for the accepted ones to arrive, up to the SLA and then some past the last answer.
  const deadline = performance.now() + SLA_MS + 2000;
  while (performance.now() < deadline && accepted.some((seq) => !side.arrivals.has(seq))) await new Promise((resolve) => setTimeout(resolve, 20));
  const latencies: number[] = [];
  let lost = 0;
  for (const seq of accepted) {
    const arrived = side.arrivals.get(seq);
    if (arrived === undefined) lost++;
    else latencies.push(arrived - dueAt.get(seq)!);
  }
  side.arrivals.clear();
  latencies.sort((a, b) => a - b);
  answerTimes.sort((a, b) => a - b);
  refusedTimes.sort((a, b) => a - b);
  return {
    rate,
    p50: percentile(latencies, 50),
    p99: latencies.length === 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 99),
    answerP99: percentile(answerTimes, 99),
    refused: refusedTimes.length,
    refusedP99: percentile(refusedTimes, 99),
    lost,
    failed: failures.length,
    firstFailure: failures[0],
    sent: count,
  };
}

function describe(step: CapacityStep): string {
  const refused = step.refused === 0 ? 'refused 0' : `refused ${step.refused} (answered within ${step.refusedP99.toFixed(1)} ms at p99)`;
  const failed = step.failed === 0 ? '' : `, failed ${step.failed} (first: ${step.firstFailure ?? '?'})`;
  return `p50=${step.p50.toFixed(1)} p99=${step.p99.toFixed(1)} ms (calls answered within ${step.answerP99.toFixed(1)} ms), ${refused}, lost ${step.lost}${failed} of ${step.sent}`;
}

/**
 * Finds the knee: doubles the rate from `start` until a step misses, then halves the gap between the last step
 * that held and the first that missed `refinements` times; then one step at twice the knee, to show overload.
 * Doubling then bisecting finds the knee to within ~1/2^(refinements+1) of it in a handful of steps, which keeps
 * the whole sweep short enough for the bench's time budget.
 */
async function sweep(side: Side, sequence: Sequence, start: number, refinements: number, seconds: number, log: (line: string) => void, label: string): Promise<{ steps: CapacityStep[]; knee: number; overload: CapacityStep | undefined }> {
  const steps: CapacityStep[] = [];
  const step = async (rate: number): Promise<CapacityStep> => {
    const result = await runStep(side, rate, seconds, sequence);
    steps.push(result);
    log(`  ${label} @${rate}/s: ${describe(result)}`);
    return result;
  };
  let knee = 0;
  let missed = Number.POSITIVE_INFINITY;
  for (let rate = start; rate <= MAX_RATE; rate *= 2) {
    if (!holds(await step(rate))) {
      missed = rate;
      break;
    }
    knee = rate;
  }
  for (let i = 0; i < refinements && knee > 0 && Number.isFinite(missed); i++) {
    const rate = Math.round((knee + missed) / 2);
    if (rate === knee || rate === missed) break;
    if (holds(await step(rate))) knee = rate;
    else missed = rate;
  }
  let overload: CapacityStep | undefined;
  if (knee > 0) {
    overload = await runStep(side, knee * 2, seconds, sequence);
    log(`  ${label} @${knee * 2}/s (2x knee): ${describe(overload)}`);
  }
  steps.sort((a, b) => a.rate - b.rate);
  return { steps, knee, overload };
}

async function probeClient(url: string, direct: boolean, arrivals: Map<number, number>, accessToken?: string): Promise<HubConnection> {
  const connection = new HubConnectionBuilder()
    .withUrl(url, direct ? { skipNegotiation: true, transport: HttpTransportType.WebSockets, ...(accessToken === undefined ? {} : { accessTokenFactory: () => accessToken }) } : {})
    .configureLogging(LogLevel.None)
    .build();
  connection.on(MESSAGE_TARGET, (message: unknown) => {
    const seq = typeof message === 'object' && message !== null ? (message as { seq?: unknown }).seq : undefined;
    if (typeof seq === 'number') arrivals.set(seq, performance.now());
  });
  await connection.start();
  return connection;
}

function curveMetrics(result: { knee: number; steps: CapacityStep[]; overload: CapacityStep | undefined }): Metrics {
  const atKnee = result.steps.find((s) => s.rate === result.knee);
  return {
    knee: result.knee,
    p50AtKnee: atKnee?.p50 ?? Number.NaN,
    p99AtKnee: atKnee?.p99 ?? Number.NaN,
    p50AtTwice: result.overload?.p50 ?? Number.NaN,
    p99AtTwice: result.overload?.p99 ?? Number.NaN,
    refusedAtTwice: result.overload === undefined ? Number.NaN : result.overload.refused / result.overload.sent,
    refusedAnswerP99AtTwice: result.overload?.refusedP99 ?? Number.NaN,
    answerP99AtTwice: result.overload?.answerP99 ?? Number.NaN,
  };
}

export const capacityScenario: Scenario = {
  name: 'capacity',
  description: 'highest rate with p99 < 1 s (sendMessage to one client; REST broadcast to 1,000), ours vs plain node:http + ws',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    capacityCurves.length = 0;
    const seconds = ctx.quick ? 0.3 : 1.5;
    const sizes: Array<[string, number]> = ctx.quick ? [['100 B', 100]] : [['100 B', 100], ['2 KB', 2048]];
    const broadcastClients = ctx.quick ? 20 : 1000;
    const hub = 'capacity';
    const closers: Array<() => Promise<void> | void> = [];
    const close = async (): Promise<void> => {
      for (const closer of closers.reverse()) await closer();
    };
    const start = async (options: Parameters<typeof startChildServer>[0]): Promise<ChildServer> => {
      const server = await startChildServer({ ...options, execArgv: ctx.childExecArgv });
      closers.push(() => server.close());
      return server;
    };
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: CALLER_CONNECTIONS, maxFreeSockets: CALLER_CONNECTIONS });
      closers.push(() => agent.destroy());
      // sendMessage: ours = local host (the app) + emulator; baseline = plain app + plain hub.
      const emulator = await start({ kind: 'emulator', config: { accessKey: BENCH_ACCESS_KEY } });
      const host = await start({ kind: 'localhost', env: { AzureSignalRConnectionString: String(emulator.info.connectionString), SignalRHubName: hub, SignalRAllowClientUserId: 'false' } });
      const plainHub = await start({ kind: 'plain-hub' });
      const plainApp = await start({ kind: 'plain-app', config: { hubUrl: String(plainHub.info.url), hub } });
      // Every side is built when its sweep starts and closed when it ends: a probe client left connected would
      // also receive the other sweeps' messages, and a plain hub sends no pings to keep an idle one open.
      const sendMessageSide = async (bytes: number, which: 'ours' | 'baseline'): Promise<OpenSide> => {
        const filler = payloadOf(bytes);
        const appUrl = String((which === 'ours' ? host : plainApp).info.url);
        const arrivals = new Map<number, number>();
        const connection =
          which === 'ours'
            ? await probeClient(`${String(host.info.url)}/api`, false, arrivals)
            : await probeClient(`${String(plainHub.info.url)}/client/?hub=${hub}`, true, arrivals);
        await openConnections(agent, appUrl, ctx.quick ? 16 : CALLER_CONNECTIONS);
        const headers = { 'Content-Type': 'application/json' };
        return {
          side: {
            arrivals,
            send: async (seq) => (await httpPost(agent, `${appUrl}/api/sendMessage`, headers, JSON.stringify({ target: MESSAGE_TARGET, arguments: [{ seq, text: filler }] }))).status,
          },
          close: () => connection.stop(),
        };
      };

      // broadcast to 1,000: ours = the output adapter here + emulator; baseline = bare node:http + plain hub.
      const bcHub = 'capbroadcast';
      const counters = [
        new RemoteHarness({ mode: 'negotiate', baseUrl: String(emulator.info.url), hub: bcHub, clients: broadcastClients - 1, protocol: 'json', accessKey: BENCH_ACCESS_KEY, sourceAddresses: 4 }),
        new RemoteHarness({ mode: 'direct', baseUrl: String(plainHub.info.url), hub: bcHub, clients: broadcastClients - 1, protocol: 'json', sourceAddresses: 4 }),
      ];
      for (const counter of counters) {
        closers.push(() => counter.close());
        await counter.connect();
      }
      const output = signalROutput.signalR({ hubName: bcHub, name: 'signalRMessages' });
      const broadcastSide = async (bytes: number, which: 'ours' | 'baseline'): Promise<OpenSide> => {
        const filler = payloadOf(bytes);
        const arrivals = new Map<number, number>();
        if (which === 'ours') {
          const clientUrl = `${String(emulator.info.url)}/client/?hub=${bcHub}`;
          const token = jwt.sign({}, BENCH_ACCESS_KEY, { algorithm: 'HS256', audience: clientUrl, expiresIn: 3600 });
          const connection = await probeClient(clientUrl, true, arrivals, token);
          const env = { AzureSignalRConnectionString: String(emulator.info.connectionString) };
          const send = withSignalR(
            {
              methods: ['POST'],
              authLevel: 'anonymous',
              extraOutputs: [output],
              // The sequence number rides in the request: calls overlap, so no shared variable could carry it.
              handler: async (request, context) => {
                context.extraOutputs.set(output, { target: MESSAGE_TARGET, arguments: [{ seq: Number(request.query.get('seq')), text: filler }] });
                return { status: 202 };
              },
            },
            { env: () => env },
          );
          return {
            side: {
              arrivals,
              send: async (seq) => {
                const request = new HttpRequest({ method: 'POST', url: `http://127.0.0.1/api/broadcast?seq=${seq}` });
                const response = await send.handler(request, new InvocationContext({ functionName: 'broadcast', logHandler: () => undefined }));
                return 'status' in response && response.status !== undefined ? response.status : 500;
              },
            },
            close: () => connection.stop(),
          };
        }
        const connection = await probeClient(`${String(plainHub.info.url)}/client/?hub=${bcHub}`, true, arrivals);
        const driver = new RestDriver(String(plainHub.info.url));
        const path = `/api/hubs/${bcHub}/:send`;
        const headers = { Authorization: driver.authorization(path), 'Content-Type': 'application/json' };
        return {
          side: {
            arrivals,
            send: async (seq) => (await httpPost(agent, driver.url(path), headers, JSON.stringify({ target: MESSAGE_TARGET, arguments: [{ seq, text: filler }] }))).status,
          },
          close: async () => {
            driver.close();
            await connection.stop();
          },
        };
      };

      const sequence: Sequence = { next: 1 };
      const groups = [];
      for (const [pipeline, build, startRate, unit] of [
        ['sendMessage', sendMessageSide, ctx.quick ? 10 : 250, 'msg/s'],
        ['broadcast', broadcastSide, ctx.quick ? 5 : 16, 'broadcasts/s'],
      ] as const) {
        for (const [size, bytes] of sizes) {
          const measure = (which: 'ours' | 'baseline') => async (): Promise<Metrics> => {
            const label = `${pipeline} ${size} ${which}`;
            const opened = await build(bytes, which);
            try {
              // Warm the path (JIT, sockets, caches) at a low rate; not recorded.
              await runStep(opened.side, startRate, seconds, sequence);
              const result = await sweep(opened.side, sequence, startRate, ctx.quick ? 0 : 2, seconds, ctx.log, label);
              // With --rounds N the sweep runs N times; the chart shows the last one.
              const previous = capacityCurves.findIndex((c) => c.pipeline === pipeline && c.size === size && c.side === which);
              if (previous >= 0) capacityCurves.splice(previous, 1);
              capacityCurves.push({ pipeline, size, side: which, unit, clients: pipeline === 'sendMessage' ? 1 : broadcastClients, ...result });
              return curveMetrics(result);
            } finally {
              await opened.close();
            }
          };
          const title = pipeline === 'sendMessage' ? `sendMessage -> 1 client, ${size}` : `broadcast -> ${broadcastClients} clients, ${size}`;
          groups.push({
            name: `capacity-${pipeline}-${bytes}`,
            rounds: 1,
            roundTimeoutMs: 300_000,
            sides: { ours: measure('ours'), baseline: measure('baseline') },
            rows: [
              { label: `capacity ${title}: knee (p99 < 1 s)`, metric: 'knee', unit, ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: p50 at knee`, metric: 'p50AtKnee', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: p99 at knee`, metric: 'p99AtKnee', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: p50 at 2x knee`, metric: 'p50AtTwice', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: p99 at 2x knee`, metric: 'p99AtTwice', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: call answered at 2x knee, p99`, metric: 'answerP99AtTwice', unit: 'ms', ours: 'ours', baseline: 'baseline' },
              { label: `capacity ${title}: refused at 2x knee`, metric: 'refusedAtTwice', unit: 'share', ours: 'ours', baseline: 'baseline' },
            ],
          });
        }
      }
      return { groups, close };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
