import { app, type HttpFunctionOptions } from '@azure/functions';
import { signalRUpstreamHandler } from '../src/bindings';
import { appSignalRAdapter } from '../src/app/signalRFunctions';

/**
 * `POST /api/signalr/upstream`: where Azure SignalR Service (or the emulator) sends its upstream calls, in
 * serverless mode: clients connecting and disconnecting, and every hub method they invoke. It runs the SignalR
 * trigger functions of this app (hubBroadcast.ts, hubConnected.ts, ...) and answers as the official
 * extension's `/runtime/webhooks/signalr` does; the status codes are listed in src/bindings/upstreamEndpoint.ts
 * and the README.
 *
 * `authLevel: 'function'`: on Azure the upstream URL carries the function key (`?code=...`), and every call is
 * also checked against the AccessKey through `X-ASRS-Signature`.
 */
export const signalRUpstreamOptions: HttpFunctionOptions = {
  methods: ['POST'],
  authLevel: 'function',
  route: 'signalr/upstream',
  handler: signalRUpstreamHandler(appSignalRAdapter),
};

app.http('signalRUpstream', signalRUpstreamOptions);
