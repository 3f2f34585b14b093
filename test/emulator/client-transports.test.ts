import { RunningEmulator, startEmulator } from '../../src/emulator';
import { COMBINATIONS, connectClient, eventually, TestClient, rest } from './client-harness';

describe.each(COMBINATIONS)('official client over %s', (name, transport, protocol) => {
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

  async function client(user: string, hub = 'chat'): Promise<TestClient> {
    const c = await connectClient(emulator, { user, hub, transport, protocol });
    clients.push(c);
    return c;
  }

  it('receives broadcast, user, group and connection sends made on the hub state', async () => {
    const a = await client('alice');
    const b = await client('bob');
    const aId = a.connection.connectionId ?? '';
    // The emulator saw the transport and protocol the test asked for (no silent fallback).
    const [transportName, protocolName] = name.split('/');
    expect(emulator.describeConnection(aId)).toEqual({ hub: 'chat', userId: 'alice', transport: transportName, protocol: protocolName });
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['all', { n: 1, list: [1, 2] }] });
    emulator.core.sendToUser('chat', 'bob', { target: 'receive', arguments: ['bob only'] });
    expect(emulator.core.addConnectionToGroup('chat', 'room', aId)).toBe(true);
    emulator.core.sendToGroup('chat', 'room', { target: 'receive', arguments: ['room'] });
    expect(emulator.core.sendToConnection('chat', aId, { target: 'receive', arguments: ['a only'] })).toBe(true);
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['all but a'] }, [aId]);
    await a.waitForCount(3);
    await b.waitForCount(3);
    expect(a.received).toEqual([['all', { n: 1, list: [1, 2] }], ['room'], ['a only']]);
    expect(b.received).toEqual([['all', { n: 1, list: [1, 2] }], ['bob only'], ['all but a']]);
  });

  it('receives sends made through the REST API', async () => {
    const a = await client('alice');
    const b = await client('bob');
    const aId = a.connection.connectionId ?? '';
    expect(await rest(emulator, 'POST', '/api/hubs/chat/:send?api-version=2022-06-01', { target: 'receive', arguments: ['rest all'] })).toBe(202);
    expect(await rest(emulator, 'POST', '/api/hubs/chat/users/bob/:send?api-version=2022-06-01', { target: 'receive', arguments: ['rest bob'] })).toBe(202);
    expect(await rest(emulator, 'PUT', `/api/hubs/chat/groups/room/connections/${aId}?api-version=2022-06-01`)).toBe(200);
    expect(await rest(emulator, 'POST', '/api/hubs/chat/groups/room/:send?api-version=2022-06-01', { target: 'receive', arguments: ['rest room'] })).toBe(202);
    expect(await rest(emulator, 'POST', `/api/v1/hubs/chat/connections/${aId}`, { target: 'receive', arguments: ['v1 a'] })).toBe(202);
    await a.waitForCount(3);
    await b.waitForCount(2);
    expect(a.received).toEqual([['rest all'], ['rest room'], ['v1 a']]);
    expect(b.received).toEqual([['rest all'], ['rest bob']]);
  });

  it('sees the close reason when the service closes the connection', async () => {
    const a = await client('alice');
    const id = a.connection.connectionId ?? '';
    expect(await rest(emulator, 'DELETE', `/api/hubs/chat/connections/${id}?api-version=2022-06-01&reason=maintenance%20window`)).toBe(200);
    const error = await a.closed;
    expect(error?.message).toContain('maintenance window');
    expect(emulator.core.connectionExists('chat', id)).toBe(false);
    await eventually(() => emulator.sessionCount() === 0, 'the connection to be forgotten');
  });

  it('closes a whole group and a whole user with the reason', async () => {
    const a = await client('alice');
    const b = await client('bob');
    const c = await client('carol');
    emulator.core.addConnectionToGroup('chat', 'g', a.connection.connectionId ?? '');
    emulator.core.closeGroup('chat', 'g', [], 'group closed');
    emulator.core.closeUser('chat', 'bob', [], 'user closed');
    expect((await a.closed)?.message).toContain('group closed');
    expect((await b.closed)?.message).toContain('user closed');
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['still here'] });
    await c.waitForCount(1);
    expect(c.received).toEqual([['still here']]);
  });

  it('answers an invoke with an error completion (no upstream) and keeps the connection', async () => {
    const a = await client('alice');
    await expect(a.connection.invoke('echo', 'x')).rejects.toThrow(/no upstream/);
    await a.connection.send('fireAndForget', 1);
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['after invoke'] });
    await a.waitForCount(1);
    expect(a.received).toEqual([['after invoke']]);
  });

  it('keeps per-connection order for 1000 messages', async () => {
    const a = await client('alice');
    const id = a.connection.connectionId ?? '';
    for (let i = 0; i < 1000; i++) emulator.core.sendToConnection('chat', id, { target: 'receive', arguments: [i] });
    await a.waitForCount(1000, 20_000);
    expect(a.received.map((args) => args[0])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('leaves no state behind after clients stop', async () => {
    const a = await client('alice');
    const b = await client('bob');
    emulator.core.addConnectionToGroup('chat', 'g1', a.connection.connectionId ?? '');
    emulator.core.addConnectionToGroup('chat', 'g2', b.connection.connectionId ?? '');
    expect(emulator.core.stats()).toMatchObject({ connections: 2, users: 2, groups: 2 });
    await Promise.all(clients.splice(0).map((x) => x.stop()));
    await eventually(() => emulator.core.stats().connections === 0 && emulator.sessionCount() === 0, 'cleanup');
    expect(emulator.core.stats()).toEqual({ hubs: 0, connections: 0, users: 0, groups: 0, userGroupEntries: 0, userGroupTimers: 0 });
  });
});
