/**
 * The whole send path for fault tests: the `sendMessage` function, called with real `HttpRequest` /
 * `InvocationContext`, sends through the output adapter and the REST client to the fault proxy, which forwards to
 * an in-process emulator; a raw client listening on the emulator counts how many times each numbered message
 * arrived. The app setting points at the proxy, so the function's own cached service is the one under test.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { resetSignalRServiceCache } from '../../src/client/service';
import { startFaultProxy, type ConnectionFault, type FaultProxy } from '../support/faultProxy';
import { connectLoadClient, waitUntil, type LoadClient } from '../support/loadClients';
import { failedWith, type Outcome } from '../support/faultLedger';
import { appErrorOf, callFunction, clearSettings, credentialsFor, silenceRegistrationWarnings, type FunctionResult } from './support';

silenceRegistrationWarnings();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sendMessageOptions } = require('../../functions/sendMessage') as typeof import('../../functions/sendMessage');

const HUB = 'chat';
const SETTINGS = ['AzureSignalRConnectionString', 'SignalRHubName', 'SignalRAllowClientUserId', 'SignalRTokenLifetimeSeconds', 'SignalRRestTimeoutMs'];
const TARGET = 'numbered';

export interface SentMessage {
  seq: number;
  result: FunctionResult;
}

export interface SendMessageRig {
  readonly emulator: RunningEmulator;
  readonly proxy: FaultProxy;
  readonly listener: LoadClient;
  /** Sends the next numbered message to the listener's connection through the sendMessage function. */
  sendNumbered(): Promise<SentMessage>;
  /** Times `seq` reached the listener so far. */
  arrivals(seq: number): number;
  /** Numbers that reached the listener more than once. */
  duplicated(): number[];
  /** Resolves once `seq` arrived (messages to one connection keep their order: earlier ones are in too). */
  waitForArrival(seq: number, what: string): Promise<void>;
  /** The call's outcome as its caller saw it, with the deliveries the listener counted so far. */
  outcomeOf(sent: SentMessage): Outcome;
  close(): Promise<void>;
}

export async function startSendMessageRig(options: { accessKey: string; restTimeoutMs: number; connectionFault?: ConnectionFault }): Promise<SendMessageRig> {
  const emulator = await startEmulator({ port: 0, accessKey: options.accessKey });
  const proxy = await startFaultProxy({ target: emulator.url, ...(options.connectionFault === undefined ? {} : { connectionFault: options.connectionFault }) });
  const restoreSettings = clearSettings(SETTINGS);
  process.env.AzureSignalRConnectionString = `Endpoint=${proxy.url};AccessKey=${options.accessKey};Version=1.0;`;
  process.env.SignalRHubName = HUB;
  process.env.SignalRRestTimeoutMs = String(options.restTimeoutMs);
  resetSignalRServiceCache();

  const counts = new Map<number, number>();
  const listener = await connectLoadClient(0, credentialsFor(emulator.url, options.accessKey, HUB, 'listener'), {
    onInvocation: (_client, target, args) => {
      if (target === TARGET && typeof args[0] === 'number') counts.set(args[0], (counts.get(args[0]) ?? 0) + 1);
    },
  });
  // The service drops a client it has not heard from for 30 s; the official client pings every 15 s.
  const pinger = setInterval(() => {
    if (listener.socket.readyState === listener.socket.OPEN) listener.socket.send(`${JSON.stringify({ type: 6 })}\u001e`);
  }, 10_000);
  pinger.unref();
  let next = 0;
  const arrivals = (seq: number): number => counts.get(seq) ?? 0;

  return {
    emulator,
    proxy,
    listener,
    async sendNumbered() {
      const seq = next++;
      const body = JSON.stringify({ target: TARGET, arguments: [seq], connectionId: listener.connectionId });
      const handler = sendMessageOptions.handler as Parameters<typeof callFunction>[0];
      const result = await callFunction(handler, { path: 'sendMessage', body, headers: { 'content-type': 'application/json' } }, 'sendMessage');
      return { seq, result };
    },
    arrivals,
    duplicated: () => [...counts].filter(([, n]) => n > 1).map(([seq]) => seq),
    waitForArrival: (seq, what) => waitUntil(() => arrivals(seq) > 0, 5_000, what),
    outcomeOf({ seq, result }) {
      const deliveries = arrivals(seq);
      if (result.status === 202) return { result: 'recovered', deliveries };
      return failedWith(result.status, deliveries, appErrorOf(result)?.code);
    },
    async close() {
      clearInterval(pinger);
      listener.kill();
      resetSignalRServiceCache();
      await proxy.close();
      await emulator.close();
      restoreSettings();
    },
  };
}
