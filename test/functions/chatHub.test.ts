/**
 * The chat's hub methods and presence, as the page uses them: official clients invoke them through the
 * emulator, whose upstream reaches the app's own signalRUpstream function over real HTTP.
 */
import { setSettings } from './support';
import { HttpTransportType } from '@microsoft/signalr';
import { signalRUpstreamOptions } from '../../functions/signalRUpstream';
import '../../functions/hubBroadcast';
import '../../functions/hubSendToUser';
import '../../functions/hubSendToGroup';
import '../../functions/hubJoinGroup';
import '../../functions/hubLeaveGroup';
import '../../functions/hubConnected';
import '../../functions/hubDisconnected';
import { resetSignalRServiceCache } from '../../src/client/service';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { connectClient, delay, eventually, type TestClient } from '../emulator/client-harness';
import { startHandlerServer, type RunningUpstream } from '../support/upstreamServers';

let emulator: RunningEmulator;
let app: RunningUpstream;
const clients: TestClient[] = [];

beforeAll(async () => {
  app = await startHandlerServer(signalRUpstreamOptions.handler);
  emulator = await startEmulator({ port: 0, upstream: { urlTemplates: [`${app.url}/api/signalr/upstream`], log: () => undefined } });
  setSettings({ AzureSignalRConnectionString: emulator.connectionString });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  await emulator.close();
  await app.close();
  resetSignalRServiceCache();
});

/** A chat user: an official JSON client that records newMessage, userJoined and userLeft. */
async function user(name: string): Promise<TestClient & { events: Array<[string, unknown]> }> {
  const client = await connectClient(emulator, { user: name, transport: HttpTransportType.WebSockets, target: 'newMessage' });
  const events: Array<[string, unknown]> = [];
  client.connection.on('userJoined', (e: unknown) => void events.push(['userJoined', e]));
  client.connection.on('userLeft', (e: unknown) => void events.push(['userLeft', e]));
  clients.push(client);
  return Object.assign(client, { events });
}

const texts = (client: TestClient): unknown[] => client.received.map(([m]) => (m as { text: string }).text);

describe('hub methods', () => {
  let alice: Awaited<ReturnType<typeof user>>;
  let bob: Awaited<ReturnType<typeof user>>;
  let carol: Awaited<ReturnType<typeof user>>;
  beforeAll(async () => {
    alice = await user('alice');
    bob = await user('bob');
    carol = await user('carol');
  });

  /** Messages to one connection arrive in order: once this broadcast is there, an earlier message would be too. */
  async function marker(...readers: TestClient[]): Promise<void> {
    const text = `marker ${Math.random()}`;
    await alice.connection.invoke('broadcast', text);
    for (const reader of readers) await eventually(() => texts(reader).includes(text), text);
  }

  it('broadcast(text) reaches everyone in the sendMessage shape, sent by the caller\'s user, and returns it', async () => {
    const sent = (await alice.connection.invoke('broadcast', 'hello all')) as Record<string, unknown>;
    expect(sent).toEqual({ sender: 'alice', text: 'hello all', sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), to: { kind: 'all', name: '' } });
    for (const reader of [alice, bob, carol]) await eventually(() => texts(reader).includes('hello all'), 'the broadcast');
    expect(bob.received.find(([m]) => (m as { text: string }).text === 'hello all')?.[0]).toEqual(sent);
  });

  it('sendToUser(userId, text) reaches only that user', async () => {
    const sent = await bob.connection.invoke('sendToUser', 'carol', 'psst');
    expect(sent).toMatchObject({ sender: 'bob', text: 'psst', to: { kind: 'user', name: 'carol' } });
    await eventually(() => texts(carol).includes('psst'), 'the direct message');
    await marker(alice, bob);
    expect(texts(alice)).not.toContain('psst');
    expect(texts(bob)).not.toContain('psst');
  });

  it('joinGroup/leaveGroup answer with the caller\'s groups; sendToGroup reaches only members', async () => {
    expect(await bob.connection.invoke('joinGroup', 'team')).toEqual(['team']);
    expect(await bob.connection.invoke('joinGroup', 'ops')).toEqual(['ops', 'team']);
    const sent = await carol.connection.invoke('sendToGroup', 'team', 'standup');
    expect(sent).toMatchObject({ sender: 'carol', to: { kind: 'group', name: 'team' } });
    await eventually(() => texts(bob).includes('standup'), 'the group message');
    await marker(alice);
    expect(texts(alice)).not.toContain('standup');

    expect(await bob.connection.invoke('leaveGroup', 'team')).toEqual(['ops']);
    await carol.connection.invoke('sendToGroup', 'team', 'after leave');
    await marker(bob);
    expect(texts(bob)).not.toContain('after leave');
  });

  it.each([
    ['an empty text', 'broadcast', [''], 'text must be a non-empty string'],
    ['an object posing as the sender', 'broadcast', [{ sender: 'mallory' }], 'text must be a non-empty string'],
    ['an empty user id', 'sendToUser', ['', 'x'], 'userId: user id must be a non-empty string'],
    ['a blank group', 'sendToGroup', ['   ', 'x'], 'groupName: group name is invalid'],
    ['a group name over 1024 characters', 'joinGroup', ['g'.repeat(1025)], 'groupName: group name is invalid'],
    ['a missing argument', 'sendToUser', ['bob'], "The function 'hubSendToUser' accepts 2 arguments (userId, text) but the message provided 1."],
  ])('%s is refused with a message saying what is wrong', async (_label, method, args, message) => {
    await expect(alice.connection.invoke(method, ...args)).rejects.toThrow(message);
  });
});

describe('presence', () => {
  it('everyone hears userJoined; userLeft comes only when the user\'s last connection ends', async () => {
    const watcher = await user('watcher');
    const first = await user('dave');
    await eventually(() => watcher.events.some(([kind, e]) => kind === 'userJoined' && (e as { userId: string }).userId === 'dave'), 'dave joined');
    const second = await user('dave');
    await first.stop();
    // The second tab is still open: the function asked the service and found dave still connected.
    await delay(300);
    expect(watcher.events.filter(([kind]) => kind === 'userLeft')).toEqual([]);
    await second.stop();
    await eventually(() => watcher.events.some(([kind, e]) => kind === 'userLeft' && (e as { userId: string }).userId === 'dave'), 'dave left');
    expect(watcher.events.filter(([kind, e]) => kind === 'userLeft' && (e as { userId: string }).userId === 'dave')).toHaveLength(1);
  });

  it('an anonymous connection is not announced', async () => {
    const watcher = await user('watcher2');
    const anonymous = await connectClient(emulator, { transport: HttpTransportType.WebSockets, target: 'newMessage' });
    clients.push(anonymous);
    await anonymous.connection.invoke('broadcast', 'from nobody');
    await eventually(() => texts(watcher).includes('from nobody'), 'the anonymous message');
    expect(watcher.received.find(([m]) => (m as { text: string }).text === 'from nobody')?.[0]).not.toHaveProperty('sender');
    await anonymous.stop();
    await delay(200);
    expect(watcher.events.filter(([, e]) => (e as { userId?: string }).userId === undefined)).toEqual([]);
  });
});
