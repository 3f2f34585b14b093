/**
 * The upstream endpoint on its own: requests shaped as the service sends them, answered with the statuses and
 * bodies of the official webhook (README "Upstream endpoint").
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { encode } from '@msgpack/msgpack';
import { upstreamSignatureHeader } from '../../src/contract';
import { signalROutput, signalRTrigger, signalRUpstreamHandler, SignalRTriggerRegistry, type SignalRInvocationContext } from '../../src/bindings';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol } from '../../src/protocol/messagePackProtocol';
import { MessageType } from '../../src/protocol/messages';
import { resetSignalRServiceCache } from '../../src/client/service';
import { RecordingServer } from '../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const CONNECTION = 'conn-1';

let service: RecordingServer;
let env: Record<string, string>;
const seen: Array<{ invocation: SignalRInvocationContext; metadata: Record<string, unknown> }> = [];
const registry = new SignalRTriggerRegistry();
const signalR = signalROutput.signalR({ hubName: 'chat' });

registry.register('echo', {
  trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'echo', parameterNames: ['text', 'count'] }),
  handler: (invocation, context) => {
    seen.push({ invocation, metadata: context.triggerMetadata ?? {} });
    return { got: invocation.Arguments };
  },
});
registry.register('nothing', { trigger: signalRTrigger({ hubName: '%HubSetting%', category: 'messages', event: 'nothing' }), handler: () => undefined });
registry.register('fail', {
  trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'fail' }),
  handler: () => {
    throw new Error(`database refused key ${KEY}\n    at secret (stack.ts:1)`);
  },
});
registry.register('shout', {
  trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'shout' }),
  extraOutputs: [signalR],
  handler: (invocation, context) => {
    context.extraOutputs.set(signalR, { target: 'heard', arguments: invocation.Arguments ?? [] });
    return 'sent';
  },
});
registry.register('connected', {
  trigger: signalRTrigger({ hubName: 'chat', category: 'connections', event: 'connected' }),
  handler: (invocation) => {
    seen.push({ invocation, metadata: {} });
    if (invocation.UserId === 'mallory') throw new Error('not welcome');
  },
});
registry.register('disconnected', {
  trigger: signalRTrigger({ hubName: 'chat', category: 'connections', event: 'disconnected' }),
  handler: (invocation) => {
    seen.push({ invocation, metadata: {} });
    throw new Error('ignored');
  },
});
const handler = signalRUpstreamHandler({ registry, env: () => env });

beforeAll(async () => {
  service = await RecordingServer.start(() => ({ status: 202 }));
  env = { AzureSignalRConnectionString: `Endpoint=${service.url};AccessKey=${KEY};Version=1.0;`, HubSetting: 'news' };
});
afterAll(async () => {
  resetSignalRServiceCache();
  await service.close();
});
beforeEach(() => {
  seen.length = 0;
});

interface CallSpec {
  category?: string;
  event?: string;
  hub?: string;
  contentType?: string | null;
  body?: Buffer | string;
  headers?: Record<string, string>;
  omit?: string[];
  signature?: string;
}

async function call(spec: CallSpec = {}): Promise<HttpResponseInit & { bodyBuffer: Buffer }> {
  const headers: Record<string, string> = {
    'x-asrs-connection-id': CONNECTION,
    'x-asrs-hub': spec.hub ?? 'chat',
    'x-asrs-category': spec.category ?? 'messages',
    'x-asrs-event': spec.event ?? 'echo',
    'x-asrs-user-id': 'alice',
    'x-asrs-user-claims': 'asrs.s.uid: alice, role: admin',
    'x-asrs-client-query': '?hub=chat&room=42',
    'x-asrs-signature': spec.signature ?? upstreamSignatureHeader(CONNECTION, ['other-key', KEY]),
    ...spec.headers,
  };
  if (spec.contentType !== null) headers['content-type'] = spec.contentType ?? 'application/json';
  for (const name of spec.omit ?? []) delete headers[name];
  const body = spec.body ?? JSON.stringify({ type: 1, invocationId: '5', target: spec.event ?? 'echo', arguments: ['hi', 2] });
  const request = new HttpRequest({ method: 'POST', url: 'http://localhost/api/signalr/upstream', headers, body: { bytes: Buffer.from(body) } });
  const response = await handler(request, new InvocationContext({ functionName: 'signalRUpstream', logHandler: () => undefined }));
  const init = response as HttpResponseInit;
  const raw = init.body ?? (init.jsonBody === undefined ? undefined : JSON.stringify(init.jsonBody));
  return { ...init, bodyBuffer: raw === undefined ? Buffer.alloc(0) : Buffer.from(raw as Uint8Array | string) };
}

const completionOf = (bytes: Buffer, protocol = jsonProtocol) => protocol.parse(bytes).messages;

describe('an invocation with an id', () => {
  it('is answered 200 with the framed JSON Completion of the return value, after binding arguments to parameterNames', async () => {
    const response = await call();
    expect(response.status).toBe(200);
    expect(response.bodyBuffer.at(-1)).toBe(0x1e);
    expect(completionOf(response.bodyBuffer)).toEqual([{ type: MessageType.Completion, invocationId: '5', result: { got: ['hi', 2] }, hasResult: true, error: undefined }]);
    const { invocation, metadata } = seen[0]!;
    expect(invocation).toEqual({
      ConnectionId: CONNECTION, UserId: 'alice', Hub: 'chat', Category: 'messages', Event: 'echo', Arguments: ['hi', 2], Error: null,
      Headers: expect.objectContaining({ 'x-asrs-hub': 'chat' }), Query: { hub: 'chat', room: '42' }, Claims: { 'asrs.s.uid': 'alice', role: 'admin' },
    });
    expect(metadata).toMatchObject({ connectionId: CONNECTION, userId: 'alice', text: 'hi', count: 2 });
  });

  it('answers in MessagePack, length-prefixed, when the call came in MessagePack', async () => {
    const body = Buffer.from(encode([MessageType.Invocation, {}, '9', 'echo', ['x', 1]]));
    const response = await call({ contentType: 'application/x-msgpack', body });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/x-msgpack' });
    expect(completionOf(response.bodyBuffer, messagePackProtocol)).toEqual([{ type: MessageType.Completion, invocationId: '9', result: { got: ['x', 1] }, hasResult: true }]);
  });

  it('of a void function completes with result null, as the official extension does', async () => {
    const response = await call({ hub: 'news', event: 'nothing', body: JSON.stringify({ type: 1, invocationId: '1', target: 'nothing', arguments: [] }) });
    expect(completionOf(response.bodyBuffer)).toEqual([expect.objectContaining({ invocationId: '1', result: null, hasResult: true })]);
  });

  it('that throws is a 200 with an error Completion: its message, no stack, no AccessKey', async () => {
    const response = await call({ event: 'fail', body: JSON.stringify({ type: 1, invocationId: '2', target: 'fail', arguments: [] }) });
    expect(response.status).toBe(200);
    const [completion] = completionOf(response.bodyBuffer);
    expect(completion).toMatchObject({ invocationId: '2', error: 'database refused key <redacted> at secret (stack.ts:1)' });
    expect(response.bodyBuffer.toString()).not.toContain(KEY);
  });

  it('with another number of arguments than parameterNames is an error Completion saying so', async () => {
    const response = await call({ body: JSON.stringify({ type: 1, invocationId: '3', target: 'echo', arguments: ['only one'] }) });
    expect(completionOf(response.bodyBuffer)[0]).toMatchObject({ error: "The function 'echo' accepts 2 arguments (text, count) but the message provided 1." });
  });

  it('runs the function\'s signalR output before answering', async () => {
    const before = service.requests.length;
    const response = await call({ event: 'shout', body: JSON.stringify({ type: 1, invocationId: '4', target: 'shout', arguments: ['hey'] }) });
    expect(completionOf(response.bodyBuffer)[0]).toMatchObject({ result: 'sent' });
    expect(service.requests.slice(before).map((r) => `${r.method} ${r.rawPath} ${r.body}`)).toEqual(['POST /api/hubs/chat/:send {"target":"heard","arguments":["hey"]}']);
  });
});

describe('a send (no invocation id)', () => {
  it('is answered 200 with no body', async () => {
    const response = await call({ body: JSON.stringify({ type: 1, target: 'echo', arguments: ['a', 1] }) });
    expect(response).toMatchObject({ status: 200 });
    expect(response.bodyBuffer.length).toBe(0);
  });

  it('whose function throws is a 500 carrying the message; with a wrong argument count a 400', async () => {
    const failed = await call({ event: 'fail', body: JSON.stringify({ type: 1, target: 'fail', arguments: [] }) });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.bodyBuffer.toString())).toEqual({ error: { code: 'FunctionFailed', message: "function 'fail' failed: database refused key <redacted> at secret (stack.ts:1)" } });
    expect((await call({ body: JSON.stringify({ type: 1, target: 'echo', arguments: [] }) })).status).toBe(400);
  });
});

describe('connection events', () => {
  it('connected runs its function with the user and claims; a failing one answers 403', async () => {
    const ok = await call({ category: 'connections', event: 'connected', body: '{"type":10}' });
    expect(ok.status).toBe(200);
    expect(seen[0]!.invocation).toMatchObject({ Category: 'connections', Event: 'connected', UserId: 'alice', Claims: { role: 'admin' }, Arguments: null });
    const refused = await call({ category: 'connections', event: 'connected', body: '{"type":10}', headers: { 'x-asrs-user-id': 'mallory' } });
    expect(refused.status).toBe(403);
    expect(refused.bodyBuffer.toString()).toContain('not welcome');
  });

  it('disconnected hands the error over (Type/Error as the official emulator writes them) and always answers 200', async () => {
    const response = await call({ category: 'connections', event: 'disconnected', body: '{"Type":11,"Error":"socket lost"}' });
    expect(response.status).toBe(200);
    expect(seen[0]!.invocation).toMatchObject({ Event: 'disconnected', Error: 'socket lost' });
  });
});

describe('refusals', () => {
  it.each([
    [{ contentType: 'text/plain' }, 415, /must be application\/json or application\/x-msgpack, got 'text\/plain'/],
    [{ contentType: null }, 415, /got no Content-Type/],
    [{ omit: ['x-asrs-hub'] }, 400, /header X-ASRS-Hub is required/],
    [{ omit: ['x-asrs-connection-id'] }, 400, /header X-ASRS-Connection-Id is required/],
    [{ headers: { 'x-asrs-event': '' } }, 400, /header X-ASRS-Event is required/],
    [{ category: 'stuff' }, 400, /X-ASRS-Category must be connections or messages/],
    [{ signature: 'sha256=00' }, 401, /X-ASRS-Signature matches no AccessKey of AzureSignalRConnectionString/],
    [{ omit: ['x-asrs-signature'] }, 401, /X-ASRS-Signature/],
    [{ event: 'unknown', body: '{"type":1,"target":"unknown","arguments":[]}' }, 404, /no SignalR trigger function for hub 'chat', category 'messages', event 'unknown'; registered: echo \(hub 'chat', messages 'echo'\), nothing \(hub 'news', messages 'nothing'\)/],
    [{ body: '{"type":1,"target":"other","arguments":[]}' }, 400, /X-ASRS-Event 'echo' does not match the message target 'other'/],
    [{ body: 'not json' }, 400, /not a json hub message/],
    [{ category: 'connections', event: 'disconnected', body: '[1]' }, 400, /must carry JSON \{"type":11/],
  ])('%j -> %i', async (spec, status, message) => {
    const response = await call(spec as CallSpec);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.bodyBuffer.toString()).error.message).toMatch(message);
    expect(seen).toEqual([]);
  });

  it('dispatches hub, category and event ignoring case', async () => {
    const response = await call({ hub: 'CHAT', event: 'ECHO', body: JSON.stringify({ type: 1, invocationId: '6', target: 'Echo', arguments: [1, 2] }) });
    expect(completionOf(response.bodyBuffer)[0]).toMatchObject({ invocationId: '6', result: { got: [1, 2] } });
  });
});

describe('with several SignalR Service endpoints', () => {
  const SECOND_KEY = 'SecondInstanceKey0123456789ABCDEFGHIJKLMNOP';
  let saved: Record<string, string>;
  beforeAll(() => {
    saved = env;
    env = { ...saved, Azure__SignalR__Endpoints__second: `Endpoint=http://127.0.0.1:1;AccessKey=${SECOND_KEY};Version=1.0;`, SignalREndpointHealthIntervalSeconds: '3600' };
  });
  afterAll(() => {
    env = saved;
    resetSignalRServiceCache();
  });

  it('accepts a call signed with any endpoint\'s AccessKey (any of them may call the upstream), and no other', async () => {
    for (const key of [KEY, SECOND_KEY]) {
      const response = await call({ signature: upstreamSignatureHeader(CONNECTION, [key]) });
      expect(response.status).toBe(200);
    }
    const refused = await call({ signature: upstreamSignatureHeader(CONNECTION, ['ThirdKeyOfNoEndpoint0123456789ABCDEFGHIJK']) });
    expect(refused.status).toBe(401);
  });
});

describe('declarations', () => {
  it.each([
    [{ hubName: 'chat', category: 'stuff', event: 'x' }, /category must be 'connections' or 'messages'/],
    [{ hubName: 'chat', category: 'connections', event: 'joined' }, /not one of the connections events/],
    [{ hubName: '{query.hub}', category: 'messages', event: 'x' }, /may use %AppSetting% but not/],
    [{ hubName: 'chat', category: 'messages', event: 'x', parameterNames: ['a', 'A'] }, /unique, ignoring case/],
  ])('refuses %j when the module loads', (options, message) => {
    expect(() => signalRTrigger(options as Parameters<typeof signalRTrigger>[0])).toThrow(message);
  });

  it('refuses two functions on one hub, category and event with a configuration error naming both', async () => {
    const twice = new SignalRTriggerRegistry();
    twice.register('a', { trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'x' }), handler: () => 1 });
    twice.register('b', { trigger: signalRTrigger({ hubName: 'Chat', category: 'messages', event: 'X' }), handler: () => 2 });
    expect(() => twice.register('A', { trigger: signalRTrigger({ hubName: 'chat', category: 'messages', event: 'y' }), handler: () => 3 })).toThrow(/already registered/);
    const duplicateHandler = signalRUpstreamHandler({ registry: twice, env: () => env });
    const request = new HttpRequest({ method: 'POST', url: 'http://localhost/x', headers: { 'content-type': 'application/json', 'x-asrs-connection-id': 'c', 'x-asrs-hub': 'chat', 'x-asrs-category': 'messages', 'x-asrs-event': 'x' }, body: { string: '{}' } });
    const response = (await duplicateHandler(request, new InvocationContext({ logHandler: () => undefined }))) as HttpResponseInit;
    expect(response.status).toBe(500);
    expect(response.jsonBody).toMatchObject({ error: { code: 'ConfigurationError' } });
  });
});
