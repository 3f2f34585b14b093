import { HttpTransportType } from '@microsoft/signalr';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { connectClient, eventually, TestClient } from './client-harness';

describe('official client over WebSockets + JSON', () => {
  let emulator: RunningEmulator;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await emulator.close();
  });

  async function client(user?: string): Promise<TestClient> {
    const c = await connectClient(emulator, { user, transport: HttpTransportType.WebSockets });
    clients.push(c);
    return c;
  }

  it('connects and receives a broadcast', async () => {
    const a = await client('alice');
    expect(emulator.core.connectionExists('chat', a.connection.connectionId ?? '')).toBe(true);
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['hello', 42] });
    await a.waitForCount(1);
    expect(a.received[0]).toEqual(['hello', 42]);
  });

  it('routes user, group and connection sends to the right connections only', async () => {
    const a = await client('alice');
    const b = await client('bob');
    const aId = a.connection.connectionId ?? '';
    expect(emulator.core.addConnectionToGroup('chat', 'room', aId)).toBe(true);
    emulator.core.sendToUser('chat', 'bob', { target: 'receive', arguments: ['to bob'] });
    emulator.core.sendToGroup('chat', 'room', { target: 'receive', arguments: ['to room'] });
    emulator.core.sendToConnection('chat', aId, { target: 'receive', arguments: ['to a'] });
    await a.waitForCount(2);
    await b.waitForCount(1);
    expect(a.received).toEqual([['to room'], ['to a']]);
    expect(b.received).toEqual([['to bob']]);
  });

  it('delivers the close reason to onclose and forgets the connection', async () => {
    const a = await client('alice');
    const id = a.connection.connectionId ?? '';
    expect(emulator.core.closeConnection('chat', id, 'kicked by test')).toBe(true);
    const error = await a.closed;
    expect(error?.message).toContain('kicked by test');
    expect(emulator.core.connectionExists('chat', id)).toBe(false);
    await eventually(() => emulator.sessionCount() === 0, 'session cleanup');
  });
});
