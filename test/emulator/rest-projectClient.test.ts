/**
 * The project's own REST client (src/client/service.ts, signing `aud` without query string, with port) against
 * the real emulator's REST API: every SignalRRestApi method must be accepted (no 401) and answer as
 * the swagger says, with an official @microsoft/signalr client providing the real connection.
 */
import { HttpTransportType, HubConnection, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { parseConnectionString } from '../../src/client/config/connectionString';
import { startEmulator } from '../../src/emulator';
import { createSignalRService, type ClosableSignalRService } from '../../src/client/service';

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let service: ClosableSignalRService;
let connection: HubConnection;
const received: unknown[][] = [];

beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  service = createSignalRService(parseConnectionString(emulator.connectionString, 'AzureSignalRConnectionString'));
  const info = await service.clientConnectionInfo('ProjectHub', { userId: 'carol' });
  connection = new HubConnectionBuilder()
    .withUrl(info.url, { transport: HttpTransportType.WebSockets, accessTokenFactory: () => info.accessToken })
    .configureLogging(LogLevel.None)
    .build();
  connection.on('note', (...args: unknown[]) => received.push(args));
  await connection.start();
});

afterAll(async () => {
  await connection?.stop();
  service?.close();
  await emulator?.close();
});

async function waitForNote(tag: string): Promise<void> {
  for (let i = 0; i < 500 && !received.some((a) => a[0] === tag); i++) await new Promise((r) => setTimeout(r, 10));
  expect(received.some((a) => a[0] === tag)).toBe(true);
}

test('health, sends and lookups with the project client tokens', async () => {
  const rest = service.rest;
  const id = connection.connectionId ?? '';
  expect(await rest.isServiceHealthy()).toBe(true);
  expect(await rest.connectionExists('ProjectHub', id)).toBe(true);
  expect(await rest.connectionExists('ProjectHub', 'nope')).toBe(false);
  expect(await rest.userExists('ProjectHub', 'carol')).toBe(true);
  expect(await rest.userExists('ProjectHub', 'dave')).toBe(false);

  await rest.broadcast('ProjectHub', { target: 'note', arguments: ['b'] });
  await rest.sendToUser('ProjectHub', 'carol', { target: 'note', arguments: ['u'] });
  await rest.sendToConnection('ProjectHub', id, { target: 'note', arguments: ['c'] });
  await waitForNote('b');
  await waitForNote('u');
  await waitForNote('c');
});

test('group membership by connection and by user, with encoded names', async () => {
  const rest = service.rest;
  const id = connection.connectionId ?? '';
  const group = 'team a/b';
  await rest.addConnectionToGroup('ProjectHub', group, id);
  expect(await rest.groupExists('ProjectHub', group)).toBe(true);
  await rest.sendToGroup('ProjectHub', group, { target: 'note', arguments: ['g'] });
  await waitForNote('g');
  await rest.removeConnectionFromGroup('ProjectHub', group, id);
  expect(await rest.groupExists('ProjectHub', group)).toBe(false);

  await rest.addUserToGroup('ProjectHub', 'carol', 'club');
  expect(await rest.userInGroup('ProjectHub', 'carol', 'club')).toBe(true);
  await rest.removeUserFromGroup('ProjectHub', 'carol', 'club');
  expect(await rest.userInGroup('ProjectHub', 'carol', 'club')).toBe(false);
  await rest.addUserToGroup('ProjectHub', 'carol', 'club2', { ttlSeconds: 60 });
  await rest.removeUserFromAllGroups('ProjectHub', 'carol');
  expect(await rest.userInGroup('ProjectHub', 'carol', 'club2')).toBe(false);
  await rest.addConnectionToGroup('ProjectHub', 'x', id);
  await rest.removeConnectionFromAllGroups('ProjectHub', id);
  expect(await rest.groupExists('ProjectHub', 'x')).toBe(false);
});

test('closing calls are accepted; the last one closes the client with the reason', async () => {
  const rest = service.rest;
  await rest.closeGroupConnections('ProjectHub', 'empty-group', { excluded: [], reason: 'r1' });
  await rest.closeUserConnections('ProjectHub', 'nobody', { excluded: [], reason: 'r2' });
  const closed = new Promise<Error | undefined>((resolve) => connection.onclose(resolve));
  await rest.closeAllConnections('ProjectHub', { excluded: [], reason: 'shutting down' });
  expect((await closed)?.message).toContain('shutting down');
  await rest.closeConnection('ProjectHub', 'gone', { reason: 'r3' });
});
