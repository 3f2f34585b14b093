/**
 * The emulator's upstream with the official @microsoft/signalr client over every transport and protocol, and a
 * real HTTP server standing where the function app would be.
 */
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { isValidUpstreamSignature } from '../../src/contract';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { NO_UPSTREAM_ERROR } from '../../src/emulator/upstream/upstreamDispatcher';
import { MessageType } from '../../src/protocol/messages';
import { startScriptedUpstream, type UpstreamScript, type UpstreamCall } from '../support/upstreamServers';
import { clientToken, clientUrl, COMBINATIONS, EMULATOR_KEY, eventually, type ProtocolName } from './client-harness';

async function connect(emulator: RunningEmulator, transport: HttpTransportType, protocol: ProtocolName, options: { user?: string; query?: string; claims?: Record<string, unknown> } = {}): Promise<HubConnection> {
  const token = clientToken(emulator, 'chat', { user: options.user ?? 'alice', extraClaims: options.claims ?? { role: 'admin' } });
  let builder = new HubConnectionBuilder()
    .withUrl(`${clientUrl(emulator, 'chat')}${options.query ?? ''}`, { transport, accessTokenFactory: () => token })
    .configureLogging(LogLevel.None);
  if (protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  await connection.start();
  return connection;
}

async function withUpstream(script: (call: UpstreamCall) => UpstreamScript, options: { timeoutMs?: number } = {}) {
  const upstream = await startScriptedUpstream(script);
  const logs: string[] = [];
  const emulator = await startEmulator({
    port: 0,
    upstream: {
      urlTemplates: [`${upstream.url}/api/{hub}/{category}/{event}?code=secret-function-key`],
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      log: (line) => logs.push(line),
    },
  });
  return { upstream, emulator, logs, close: async () => { await emulator.close(); await upstream.close(); } };
}

describe.each(COMBINATIONS)('upstream over %s', (_name, transport, protocol) => {
  it('forwards connected, invocations and disconnected in order, with every X-ASRS header, in the client protocol', async () => {
    const env = await withUpstream(() => ({ kind: 'echo' }));
    try {
      const connection = await connect(env.emulator, transport, protocol, { query: '&room=42' });
      const result = await connection.invoke('echo', 'hello', 7);
      expect(result).toEqual({ target: 'echo', arguments: ['hello', 7] });
      await connection.send('note', { n: 1 });
      await env.upstream.waitForCalls(3);
      await connection.stop();
      await env.upstream.waitForCalls(4);

      const [connected, invoke, send, disconnected] = env.upstream.calls;
      expect([connected, invoke, send, disconnected].map((c) => `${c!.headers['x-asrs-category']}/${c!.headers['x-asrs-event']}`))
        .toEqual(['connections/connected', 'messages/echo', 'messages/note', 'connections/disconnected']);
      expect(invoke!.path).toBe('/api/chat/messages/echo');
      for (const call of env.upstream.calls) {
        expect(call.headers['x-asrs-connection-id']).toBe(connection.connectionId ?? call.headers['x-asrs-connection-id']);
        expect(call.headers['x-asrs-hub']).toBe('chat');
        expect(call.headers['x-asrs-user-id']).toBe('alice');
        expect(call.headers['x-asrs-user-claims']).toContain('asrs.s.uid: alice');
        expect(call.headers['x-asrs-user-claims']).toContain('role: admin');
        expect(isValidUpstreamSignature(String(call.headers['x-asrs-signature']), String(call.headers['x-asrs-connection-id']), [EMULATOR_KEY])).toBe(true);
        const query = String(call.headers['x-asrs-client-query']);
        expect(query).toMatch(/^\?/);
        expect(new URLSearchParams(query).get('room')).toBe('42');
        expect(query).not.toMatch(/access_token|(^|[?&])id=/);
      }
      expect(connected!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(connected!.body.toString())).toEqual({ type: 10 });
      expect(JSON.parse(disconnected!.body.toString())).toEqual({ type: 11 });
      expect(invoke!.headers['content-type']).toBe(protocol === 'json' ? 'application/json' : 'application/x-msgpack');
      expect(invoke!.message).toMatchObject({ type: MessageType.Invocation, target: 'echo', arguments: ['hello', 7] });
      expect(invoke!.message).toHaveProperty('invocationId');
      expect(send!.message).toMatchObject({ type: MessageType.Invocation, target: 'note', arguments: [{ n: 1 }] });
      expect((send!.message as { invocationId?: string }).invocationId).toBeUndefined();
      // JSON bodies carry no record separator: the upstream gets the message without framing.
      if (protocol === 'json') expect(invoke!.body.includes(0x1e)).toBe(false);
    } finally {
      await env.close();
    }
  });

  it('keeps the order of one connection\'s invocations, each answered with its own result', async () => {
    const env = await withUpstream((call) => ({ kind: 'echo', delayMs: call.message?.type === MessageType.Invocation ? Number(call.message.arguments[0]) % 3 : 0 }));
    try {
      const connection = await connect(env.emulator, transport, protocol);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => connection.invoke('step', i)));
      expect(results).toEqual(Array.from({ length: 12 }, (_, i) => ({ target: 'step', arguments: [i] })));
      const order = env.upstream.calls.filter((c) => c.headers['x-asrs-event'] === 'step').map((c) => (c.message?.type === MessageType.Invocation ? c.message.arguments[0] : -1));
      expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i));
      await connection.stop();
    } finally {
      await env.close();
    }
  });
});

describe('upstream failures reach the caller as a Completion that says what happened', () => {
  const invokeWith = async (script: UpstreamScript, options: { timeoutMs?: number } = {}) => {
    const env = await withUpstream((call) => (call.headers['x-asrs-category'] === 'connections' ? { kind: 'status', status: 200 } : script), options);
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      const outcome = await connection.invoke('work').then((value: unknown) => ({ value }), (error: Error) => ({ error: error.message }));
      await connection.stop();
      return { outcome, logs: env.logs };
    } finally {
      await env.close();
    }
  };

  it('a 500 with a JSON error: the service text, then the upstream\'s message', async () => {
    const { outcome, logs } = await invokeWith({ kind: 'status', status: 500, body: JSON.stringify({ error: { code: 'x', message: 'database is down' } }), contentType: 'application/json' });
    expect(outcome).toEqual({ error: 'Invocation failed, status code 500: database is down' });
    expect(logs.join('\n')).toMatch(/invocation 'work'.*failed.*answered 500: database is down/);
  });

  it('a 404 with a text body, and a 403 without one', async () => {
    expect((await invokeWith({ kind: 'status', status: 404, body: 'no such function', contentType: 'text/plain' })).outcome).toEqual({ error: 'Invocation failed, status code 404: no such function' });
    expect((await invokeWith({ kind: 'status', status: 403 })).outcome).toEqual({ error: 'Invocation failed, status code 403' });
  });

  it('an empty 2xx completes without a result; a 2xx body that is not this invocation\'s Completion is an error', async () => {
    const empty = (await invokeWith({ kind: 'status', status: 204 })).outcome;
    expect(empty).toEqual({ value: undefined });
    expect(empty).not.toHaveProperty('error');
    expect((await invokeWith({ kind: 'status', status: 200, body: '{"hello":1}', contentType: 'application/json' })).outcome)
      .toEqual({ error: 'Invocation failed, the upstream answered 200 with a body that is not a Completion message for this invocation.' });
  });

  it('no answer within the timeout says timeout and the URL, never the function key', async () => {
    const { outcome, logs } = await invokeWith({ kind: 'hang' }, { timeoutMs: 300 });
    const error = (outcome as { error: string }).error;
    expect(error).toMatch(/^Invocation failed, timeout: http:\/\/127\.0\.0\.1:\d+\/api\/chat\/messages\/work\?… did not answer within 300 ms$/);
    expect([error, ...logs].join('\n')).not.toContain('secret-function-key');
  });

  it('a refused connection names the URL it tried', async () => {
    const env = await withUpstream(() => ({ kind: 'echo' }));
    const deadUrl = env.upstream.url;
    await env.upstream.close();
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      await expect(connection.invoke('work')).rejects.toThrow(`Invocation failed, could not reach ${deadUrl}/api/chat/messages/work?… (ECONNREFUSED)`);
      await connection.stop();
      expect(env.logs.join('\n')).toMatch(/upstream connected for connection .* failed: POST .* could not be reached: .*ECONNREFUSED.*; the connection stays open/);
    } finally {
      await env.emulator.close();
    }
  });

  it('a failed connected call leaves the connection open and the next invocation still goes out', async () => {
    const env = await withUpstream((call) => (call.headers['x-asrs-event'] === 'connected' ? { kind: 'status', status: 500 } : { kind: 'echo' }));
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      expect(await connection.invoke('after', 1)).toEqual({ target: 'after', arguments: [1] });
      expect(env.logs.join('\n')).toMatch(/upstream connected .* answered 500; the connection stays open/);
      await connection.stop();
    } finally {
      await env.close();
    }
  });

  it('a streaming invocation is refused: serverless mode does not forward it', async () => {
    const env = await withUpstream(() => ({ kind: 'echo' }));
    try {
      const connection = await connect(env.emulator, HttpTransportType.WebSockets, 'json');
      const error = await new Promise<Error>((resolve) => {
        connection.stream('counter', 3).subscribe({ next: () => undefined, complete: () => resolve(new Error('completed')), error: (e: Error) => resolve(e) });
      });
      expect(error.message).toMatch(/streaming hub methods are not supported in serverless mode/);
      await connection.stop();
    } finally {
      await env.close();
    }
  });
});

describe('without a matching template', () => {
  it('an invoke gets the no-upstream Completion and the log names the template that would be needed', async () => {
    // Only hub 'other' is forwarded, so an invocation on hub 'chat' matches no template.
    const logs: string[] = [];
    const upstream = await startScriptedUpstream();
    const emulator = await startEmulator({
      port: 0,
      upstream: { templates: [{ urlTemplate: `${upstream.url}/{event}`, hubPattern: 'other', categoryPattern: '*', eventPattern: '*' }], log: (line) => logs.push(line) },
    });
    try {
      const connection = await connect(emulator, HttpTransportType.WebSockets, 'json');
      await expect(connection.invoke('lonely')).rejects.toThrow(NO_UPSTREAM_ERROR);
      await eventually(() => logs.some((l) => l.includes("no template for hub 'chat', category 'messages', event 'lonely'")), 'the log line');
      expect(logs.join('\n')).toMatch(/HubPattern matches 'chat', CategoryPattern 'messages' and EventPattern 'lonely'/);
      expect(upstream.calls).toEqual([]);
      await connection.stop();
    } finally {
      await emulator.close();
      await upstream.close();
    }
  });
});
