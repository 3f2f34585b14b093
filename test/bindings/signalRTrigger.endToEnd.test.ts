/**
 * The SignalR trigger end to end: the official @microsoft/signalr client invokes hub methods through the
 * emulator's upstream, over every transport and protocol, and functions registered with signalRApp-style
 * declarations answer through the app's upstream endpoint on a real HTTP server.
 */
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { signalRTrigger, signalRUpstreamHandler, SignalRTriggerRegistry, type SignalRInvocationContext } from '../../src/bindings';
import { resetSignalRServiceCache } from '../../src/client/service';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { clientToken, clientUrl, COMBINATIONS, eventually, type ProtocolName } from '../emulator/client-harness';
import { startHandlerServer, type RunningUpstream } from '../support/upstreamServers';

const calls: SignalRInvocationContext[] = [];
const registry = new SignalRTriggerRegistry();
const on = (category: 'messages' | 'connections', event: string, handler: (invocation: SignalRInvocationContext) => unknown, parameterNames?: string[]): void =>
  registry.register(`fn_${event}`, { trigger: signalRTrigger({ hubName: 'chat', category, event, ...(parameterNames ? { parameterNames } : {}) }), handler: (invocation) => {
    calls.push(invocation);
    return handler(invocation);
  } });
on('messages', 'add', (i) => (i.Arguments as number[]).reduce((a, b) => a + b, 0), ['a', 'b']);
on('messages', 'note', () => undefined);
on('messages', 'step', (i) => i.Arguments?.[0]);
on('messages', 'explode', () => {
  throw new Error('the hub method exploded');
});
on('connections', 'connected', () => undefined);
on('connections', 'disconnected', () => undefined);

interface Setup {
  emulator: RunningEmulator;
  app: RunningUpstream;
  close(): Promise<void>;
}

/** The emulator, its upstream pointing at the app's endpoint; `appKey` is the AccessKey the app believes in. */
async function setup(appKey?: string): Promise<Setup> {
  let connectionString = '';
  const app = await startHandlerServer(signalRUpstreamHandler({ registry, env: () => ({ AzureSignalRConnectionString: connectionString }) }));
  const emulator = await startEmulator({ port: 0, upstream: { urlTemplates: [`${app.url}/api/signalr/upstream`], log: () => undefined } });
  connectionString = appKey === undefined ? emulator.connectionString : emulator.connectionString.replace(/AccessKey=[^;]*/, `AccessKey=${appKey}`);
  return {
    emulator,
    app,
    close: async () => {
      await emulator.close();
      await app.close();
      resetSignalRServiceCache();
    },
  };
}

async function connect(emulator: RunningEmulator, transport: HttpTransportType, protocol: ProtocolName, user = 'alice'): Promise<HubConnection> {
  const token = clientToken(emulator, 'chat', { user, extraClaims: { team: 'blue' } });
  let builder = new HubConnectionBuilder()
    .withUrl(clientUrl(emulator, 'chat'), { transport, accessTokenFactory: () => token })
    .configureLogging(LogLevel.None);
  if (protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  await connection.start();
  return connection;
}

beforeEach(() => {
  calls.length = 0;
});

describe.each(COMBINATIONS)('over %s', (_name, transport, protocol) => {
  let env: Setup;
  beforeAll(async () => {
    env = await setup();
  });
  afterAll(() => env.close());

  it('invoke returns the function\'s value, a send reaches the function, connected and disconnected carry the user and claims', async () => {
    const connection = await connect(env.emulator, transport, protocol);
    expect(await connection.invoke('add', 2, 3)).toBe(5);
    await connection.send('note', 'fire and forget');
    await eventually(() => calls.some((c) => c.Event === 'note'), 'the send');
    const id = connection.connectionId;
    await connection.stop();
    await eventually(() => calls.some((c) => c.Event === 'disconnected'), 'disconnected');

    expect(calls.map((c) => c.Event)).toEqual(['connected', 'add', 'note', 'disconnected']);
    for (const call of calls) {
      expect(call).toMatchObject({ Hub: 'chat', UserId: 'alice', Claims: expect.objectContaining({ 'asrs.s.uid': 'alice', team: 'blue' }) });
      if (id !== null) expect(call.ConnectionId).toBe(id);
    }
    expect(calls[2]).toMatchObject({ Category: 'messages', Arguments: ['fire and forget'] });
    expect(calls[3]).toMatchObject({ Category: 'connections', Error: null });
  });

  it('a function that throws makes the invoke reject with its message', async () => {
    const connection = await connect(env.emulator, transport, protocol);
    await expect(connection.invoke('explode')).rejects.toThrow('the hub method exploded');
    await connection.stop();
  });

  it('one connection\'s invocations reach the function in order', async () => {
    const connection = await connect(env.emulator, transport, protocol);
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => connection.invoke('step', i)));
    expect(results).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(calls.filter((c) => c.Event === 'step').map((c) => c.Arguments?.[0])).toEqual(Array.from({ length: 15 }, (_, i) => i));
    await connection.stop();
  });
});

describe('failures a developer can act on', () => {
  it('an unknown hub method: 404, and the invoke says what is registered', async () => {
    const env = await setup();
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      await expect(connection.invoke('nope', 1)).rejects.toThrow(/^Invocation failed, status code 404: no SignalR trigger function for hub 'chat', category 'messages', event 'nope'; registered: .*fn_add \(hub 'chat', messages 'add'\)/);
      await connection.stop();
    } finally {
      await env.close();
    }
  });

  it('a signature made with another AccessKey: 401, and the function never runs', async () => {
    const env = await setup('a-different-access-key');
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      await expect(connection.invoke('add', 1, 1)).rejects.toThrow(/^Invocation failed, status code 401: X-ASRS-Signature matches no AccessKey/);
      expect(calls).toEqual([]);
      await connection.stop();
    } finally {
      await env.close();
    }
  });

  it('the app down: the invoke names the URL it tried', async () => {
    const env = await setup();
    const url = env.app.url;
    await env.app.close();
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      await expect(connection.invoke('add', 1, 1)).rejects.toThrow(`Invocation failed, could not reach ${url}/api/signalr/upstream (ECONNREFUSED)`);
      await connection.stop();
    } finally {
      await env.emulator.close();
      resetSignalRServiceCache();
    }
  });
});
