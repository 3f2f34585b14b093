import { HttpTransportType } from '@microsoft/signalr';
import { RunningEmulator, startEmulator } from '../../src/emulator';
import { connectClient, delay, eventually, TestClient, rest } from './client-harness';

const API = 'api-version=2022-06-01';

describe('user-group membership with the official client', () => {
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

  async function client(user: string, transport = HttpTransportType.WebSockets): Promise<TestClient> {
    const c = await connectClient(emulator, { user, transport });
    clients.push(c);
    return c;
  }

  it('applies a user-group membership to connections the user opens later', async () => {
    expect(await rest(emulator, 'PUT', `/api/hubs/chat/users/dana/groups/news?${API}`)).toBe(200);
    expect(await rest(emulator, 'HEAD', `/api/hubs/chat/groups/news?${API}`)).toBe(404);
    const first = await client('dana', HttpTransportType.LongPolling);
    const second = await client('dana', HttpTransportType.ServerSentEvents);
    const other = await client('erin');
    expect(await rest(emulator, 'HEAD', `/api/hubs/chat/groups/news?${API}`)).toBe(200);
    expect(await rest(emulator, 'POST', `/api/hubs/chat/groups/news/:send?${API}`, { target: 'receive', arguments: ['headline'] })).toBe(202);
    await first.waitForCount(1);
    await second.waitForCount(1);
    expect(first.received).toEqual([['headline']]);
    expect(second.received).toEqual([['headline']]);
    emulator.core.broadcast('chat', { target: 'receive', arguments: ['marker'] });
    await other.waitForCount(1);
    expect(other.received).toEqual([['marker']]);
    expect(await rest(emulator, 'DELETE', `/api/hubs/chat/users/dana/groups/news?${API}`)).toBe(204);
    expect(await rest(emulator, 'HEAD', `/api/hubs/chat/groups/news?${API}`)).toBe(404);
  });

  it('ends the membership when the ttl runs out', async () => {
    const early = await client('finn');
    expect(await rest(emulator, 'PUT', `/api/hubs/chat/users/finn/groups/short?ttl=1&${API}`)).toBe(200);
    expect(await rest(emulator, 'HEAD', `/api/hubs/chat/users/finn/groups/short?${API}`)).toBe(200);
    await eventually(() => !emulator.core.userInGroup('chat', 'finn', 'short'), 'the ttl to expire', 5000);
    const late = await client('finn');
    expect(await rest(emulator, 'POST', `/api/hubs/chat/groups/short/:send?${API}`, { target: 'receive', arguments: ['expired'] })).toBe(202);
    emulator.core.sendToUser('chat', 'finn', { target: 'receive', arguments: ['marker'] });
    await early.waitForCount(1);
    await late.waitForCount(1);
    expect(early.received).toEqual([['marker']]);
    expect(late.received).toEqual([['marker']]);
  });

  it('with ttl=0 adds only the connections open right now', async () => {
    const now = await client('gail');
    expect(await rest(emulator, 'PUT', `/api/hubs/chat/users/gail/groups/zero?ttl=0&${API}`)).toBe(200);
    const later = await client('gail');
    emulator.core.sendToGroup('chat', 'zero', { target: 'receive', arguments: ['zero'] });
    emulator.core.sendToUser('chat', 'gail', { target: 'receive', arguments: ['marker'] });
    await now.waitForCount(2);
    await later.waitForCount(1);
    await delay(20);
    expect(now.received).toEqual([['zero'], ['marker']]);
    expect(later.received).toEqual([['marker']]);
  });
});
