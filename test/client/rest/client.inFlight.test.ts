/**
 * The REST client's bound on calls in flight: past it a call is refused at once, before anything is sent, and
 * the functions answer 503 SignalRServiceBusy with Retry-After (as they do when the service throttles with 429).
 */
import { toErrorResponse } from '../../../src/bindings/errorResponse';
import { accessKeyAuthorizer } from '../../../src/client/auth/authorizers';
import { TokenIssuer } from '../../../src/client/auth/tokens';
import { SignalRRestClient } from '../../../src/client/rest/client';
import { SignalRBusyError, SignalRServiceError } from '../../../src/client/rest/errors';
import { RecordingServer } from '../../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const payload = { target: 't', arguments: [] };

let server: RecordingServer;
beforeEach(async () => {
  server = await RecordingServer.start({ hang: true });
});
afterEach(() => server.close());

test('past maxInFlight a call is refused at once and sends nothing; a freed slot is used again', async () => {
  const client = new SignalRRestClient({ endpoint: server.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), maxInFlight: 2, timeoutMs: 5000 });
  const aborts = [new AbortController(), new AbortController()];
  const held = aborts.map((controller) => client.broadcast('chat', payload, { signal: controller.signal }).catch((error: unknown) => error));
  await server.waitForRequests(2);
  const refused = await client.broadcast('chat', payload).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(SignalRBusyError);
  expect((refused as Error).message).toMatch(/was not sent: 2 calls to the service are already in flight/);
  expect(server.requests).toHaveLength(2);
  aborts[0]!.abort(new Error('caller gave up'));
  await held[0];
  server.respondWith({ status: 202 });
  await expect(client.broadcast('chat', payload)).resolves.toBeUndefined();
  aborts[1]!.abort(new Error('done'));
  await held[1];
  client.close();
});

test('the functions answer a busy client and a throttling service with 503 SignalRServiceBusy and Retry-After', () => {
  const busy = toErrorResponse(new SignalRBusyError({ operation: 'broadcast', hub: 'chat' }, 256));
  expect(busy).toMatchObject({ status: 503, jsonBody: { error: { code: 'SignalRServiceBusy' } }, headers: { 'retry-after': '1' } });
  const throttled = toErrorResponse(new SignalRServiceError({ operation: 'broadcast', hub: 'chat' }, 429));
  expect(throttled).toMatchObject({ status: 503, jsonBody: { error: { code: 'SignalRServiceBusy' } }, headers: { 'retry-after': '1' } });
});
