/**
 * `sendMessage` under kept-alive connections closed by something between the app and the service, as load
 * balancers do (the fault proxy's connection faults): each call goes function -> output adapter -> REST client ->
 * proxy -> emulator, and a listener counts what arrives. Shared by the quick runs in `npm test` and the long one in
 * `npm run test:load`.
 *
 * What is observed, and where: resets and the requests each call took come from Node's own HTTP client
 * (HttpClientObserver), deliveries from the listener, the call's result from the function's answer. Every reset a
 * call met is a fault; it counts as survived when its call recovered with exactly one delivery.
 */
import { FaultLedger, RECOVERED } from '../support/faultLedger';
import type { ConnectionFault } from '../support/faultProxy';
import { HttpClientObserver } from '../support/httpClientObserver';
import type { FigureRecorder } from '../support/reliabilityFigures';
import { runPool, sleep } from './support';
import type { SendMessageRig, SentMessage } from './sendMessageRig';

export interface KeepAliveRun {
  /** sendMessage calls made. */
  calls: number;
  /** Requests whose kept-alive connection was closed under them, as Node's HTTP client reported them. */
  resetsSeen: number;
  /** Requests beyond the first of each call (the resends on a fresh connection). */
  resends: number;
  /** Calls that did not answer 202. */
  failures: number;
  /** Arrivals at the listener of the messages these calls sent. */
  delivered: number;
  /** Accepted messages that never arrived, and messages that arrived twice. */
  lost: number;
  duplicated: number;
  /** Faults the proxy counted (close-on-reuse) and idle connections it closed. */
  proxyFaults: number;
  idleConnectionsClosed: number;
}

export interface KeepAliveRunOptions {
  fault: Exclude<ConnectionFault, { kind: 'none' }>;
  calls: number;
  concurrency: number;
  /** Pause of each sender between two calls (idle time for the connection it used). */
  pauseMs: () => number;
}

/** Runs the calls under `fault`, settles every reset with the ledger, and returns what was observed. */
export async function sendUnderConnectionFault(rig: SendMessageRig, ledger: FaultLedger, options: KeepAliveRunOptions): Promise<KeepAliveRun> {
  const observer = new HttpClientObserver(rig.proxy.port);
  const sent: Array<{ tag: string; message: SentMessage }> = [];
  rig.proxy.drainFaults();
  rig.proxy.resetStats();
  rig.proxy.setConnectionFault(options.fault);
  try {
    await runPool(options.calls, options.concurrency, async (i) => {
      const tag = `call-${i}`;
      sent.push({ tag, message: await observer.track(tag, () => rig.sendNumbered()) });
      await sleep(options.pauseMs());
    });
  } finally {
    rig.proxy.setConnectionFault({ kind: 'none' });
    observer.close();
  }
  const accepted = sent.filter((s) => s.message.result.status === 202);
  const last = Math.max(...accepted.map((s) => s.message.seq));
  // Messages to one connection keep their order, but the calls ran side by side: wait for every accepted one.
  await rig.waitForArrival(last, 'the last accepted message').catch(() => undefined);
  await sleep(200); // a duplicate would show up now

  const run: KeepAliveRun = { calls: sent.length, resetsSeen: 0, resends: 0, failures: 0, delivered: 0, lost: 0, duplicated: 0, proxyFaults: 0, idleConnectionsClosed: rig.proxy.stats.idleConnectionsClosed };
  for (const { tag, message } of sent) {
    const outcome = rig.outcomeOf(message);
    const resets = observer.resetsOf(tag);
    run.resetsSeen += resets;
    run.resends += observer.requestsOf(tag).length - 1;
    run.delivered += outcome.deliveries;
    if (outcome.result === 'failed') run.failures += 1;
    if (outcome.result === 'recovered' && outcome.deliveries === 0) run.lost += 1;
    if (outcome.deliveries > 1) run.duplicated += 1;
    if (resets > 0) ledger.settle(RECOVERED, outcome, { [options.fault.kind]: resets });
  }
  run.proxyFaults = Object.values(rig.proxy.drainFaults()).reduce((sum, n) => sum + n, 0);
  return run;
}

/** Writes a run's figures under `name` (details of the reliability figures file) and prints them. */
export function recordKeepAliveRun(figures: FigureRecorder, name: string, run: KeepAliveRun): void {
  for (const [key, value] of Object.entries(run)) figures.detail(`keepAlive.${name}.${key}`, value);
  figures.add('messagesSent', run.calls);
  figures.add('messagesReceived', run.delivered);
  figures.add('messagesLost', run.lost);
  process.stdout.write(`[keep-alive ${name}] ${JSON.stringify(run)}\n`);
}
