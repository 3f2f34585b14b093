import { call, connectionStringFor, errorOf, expectNoSecrets, idTokenWith, verifyToken } from '../functions/support';
import { input, output, type HttpFunctionOptions, type HttpHandler } from '@azure/functions';
import { RecordingServer } from '../support/recordingServer';
import { signalRInput, signalROutput, withSignalR, type SignalRConnectionInfo } from '../../src/bindings';
import { resetSignalRServiceCache } from '../../src/client/service';

describe('withSignalR (in-process bindings)', () => {
  let server: RecordingServer;
  let env: Record<string, string>;
  const adapter = { env: () => env };
  const paths = (): string[] => server.requests.map((r) => `${r.method} ${r.rawPath}`);

  beforeAll(async () => {
    server = await RecordingServer.start({ status: 202 });
  });
  afterAll(async () => {
    resetSignalRServiceCache();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.respondWith((request) => ({ status: request.method === 'POST' ? 202 : 200 }));
    env = { AzureSignalRConnectionString: connectionStringFor(server) };
  });

  function wrap(options: Omit<HttpFunctionOptions, 'handler'>, handler: HttpHandler): HttpFunctionOptions {
    return withSignalR({ methods: ['POST'], authLevel: 'anonymous', ...options, handler }, adapter);
  }

  describe('registration', () => {
    it('strips our bindings and keeps real ones', () => {
      const info = signalRInput.connectionInfo({ hubName: 'chat' });
      const out = signalROutput.signalR({ hubName: 'chat' });
      const blob = input.storageBlob({ path: 'c/b', connection: 'Storage' });
      const queue = output.storageQueue({ queueName: 'q', connection: 'Storage' });
      const options = wrap({ extraInputs: [info, blob], extraOutputs: [out, queue] }, async () => ({ status: 204 }));
      expect(options.extraInputs).toEqual([blob]);
      expect(options.extraOutputs).toEqual([queue]);
      expect(options.methods).toEqual(['POST']);
    });

    it('looks like the official binding declarations', () => {
      const info = signalRInput.connectionInfo({ hubName: 'chat', userId: '{headers.x-ms-client-principal-id}' });
      expect(info).toMatchObject({ type: 'signalRConnectionInfo', hubName: 'chat', userId: '{headers.x-ms-client-principal-id}', connectionStringSetting: 'AzureSignalRConnectionString' });
      expect(typeof info.name).toBe('string');
      expect(signalROutput.signalR({ hubName: 'chat' })).toMatchObject({ type: 'signalR', hubName: 'chat' });
    });

    it('derives names from the declaration, not from the order of declarations', () => {
      const first = signalROutput.signalR({ hubName: 'one' });
      signalRInput.connectionInfo({ hubName: 'in-between' });
      const again = signalROutput.signalR({ hubName: 'one' });
      expect(again.name).toBe(first.name);
      expect(signalROutput.signalR({ hubName: 'two' }).name).not.toBe(first.name);
      expect(signalROutput.signalR({ hubName: 'one', connectionStringSetting: 'Other' }).name).not.toBe(first.name);
      expect(signalRInput.connectionInfo({ hubName: 'one', userId: '{query.u}' }).name).not.toBe(signalRInput.connectionInfo({ hubName: 'one' }).name);
      expect(signalROutput.signalR({ hubName: 'one', name: 'mine' }).name).toBe('mine');
    });

    it('refuses two bindings with one name in a function, which would share a slot', () => {
      const a = signalROutput.signalR({ hubName: 'chat' });
      const b = signalROutput.signalR({ hubName: 'chat' });
      expect(() => withSignalR({ handler: async () => ({}), extraOutputs: [a, b] })).toThrow(/distinct `name`/);
      expect(() => withSignalR({ handler: async () => ({}), extraOutputs: [a, signalROutput.signalR({ hubName: 'chat', name: 'second' })] })).not.toThrow();
    });

    it('rejects bad declarations when the module loads', () => {
      expect(() => signalRInput.connectionInfo({ hubName: '' })).toThrow(/hubName/);
      expect(() => signalRInput.connectionInfo({ hubName: 'chat', userId: '{headers.x' })).toThrow(/never closed/);
      expect(() => signalRInput.connectionInfo({ hubName: 'chat', tokenLifetimeSeconds: -1 })).toThrow(/tokenLifetimeSeconds/);
      expect(() => signalROutput.signalR({ hubName: 'a}' })).toThrow(/unmatched/);
    });
  });

  describe('connection-info input', () => {
    const connectionInfo = signalRInput.connectionInfo({ hubName: 'chat', userId: '{headers.x-ms-client-principal-id}' });
    const negotiate = wrap({ extraInputs: [connectionInfo] }, async (_request, context) => ({ jsonBody: context.extraInputs.get(connectionInfo) }));

    it('resolves before the handler: url and token with the principal as user', async () => {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const result = await call(negotiate.handler, { headers: { 'x-ms-client-principal-id': 'alice' } });
      expect(result.status).toBe(200);
      const info = result.body as SignalRConnectionInfo;
      expect(info.url).toBe(`${server.url}/client/?hub=chat`);
      const claims = verifyToken(info.accessToken);
      expect(claims.aud).toBe(info.url);
      expect(claims['asrs.s.uid']).toBe('alice');
      expect(claims.exp).toBeGreaterThanOrEqual(nowSeconds + 3600 - 5);
      expect(claims.exp).toBeLessThanOrEqual(nowSeconds + 3600 + 60);
    });

    it('an absent header resolves to no user', async () => {
      const result = await call(negotiate.handler, {});
      expect(result.status).toBe(200);
      expect(verifyToken((result.body as SignalRConnectionInfo).accessToken)['asrs.s.uid']).toBeUndefined();
    });

    it('takes hub and user from route, query and body; copies listed id-token claims; honours the lifetime', async () => {
      const info = signalRInput.connectionInfo({
        hubName: '{room}',
        userId: 'u-{query.id}-{name}',
        idToken: '{headers.authorization}',
        claimTypeList: ['name', 'aud'],
        tokenLifetimeSeconds: 60,
      });
      const fn = wrap({ extraInputs: [info] }, async (request, context) => ({ jsonBody: { info: context.extraInputs.get(info), body: await request.json() } }));
      const nowSeconds = Math.floor(Date.now() / 1000);
      const result = await call(fn.handler, {
        params: { room: 'Lobby' },
        query: { id: '7' },
        headers: { authorization: `Bearer ${idTokenWith({ name: 'Ann', aud: 'their-app', secret: 'x' })}` },
        body: { name: 'ann' },
      });
      expect(result.status).toBe(200);
      const body = result.body as { info: SignalRConnectionInfo; body: unknown };
      expect(body.body).toEqual({ name: 'ann' }); // the handler can still read the body
      expect(body.info.url).toBe(`${server.url}/client/?hub=lobby`);
      const claims = verifyToken(body.info.accessToken);
      expect(claims['asrs.s.uid']).toBe('u-7-ann');
      expect(claims.name).toBe('Ann');
      expect(claims['asrs.u.aud']).toBe('their-app'); // a reserved name cannot override the token's aud
      expect(claims.aud).toBe(body.info.url);
      expect(claims.secret).toBeUndefined();
      expect(claims.exp).toBeLessThanOrEqual(nowSeconds + 60 + 60);
    });

    it('uses connectionStringSetting', async () => {
      const info = signalRInput.connectionInfo({ hubName: 'chat', connectionStringSetting: 'OtherSignalR' });
      const fn = wrap({ extraInputs: [info] }, async (_r, context) => ({ jsonBody: context.extraInputs.get(info) }));
      env = { OtherSignalR: connectionStringFor(server).replace('Endpoint=', 'ClientEndpoint=https://public.example;Endpoint=') };
      const result = await call(fn.handler, {});
      expect((result.body as SignalRConnectionInfo).url).toBe('https://public.example/client/?hub=chat');
    });

    it('a bad hub name from the request is 400 and the handler does not run', async () => {
      let ran = false;
      const info = signalRInput.connectionInfo({ hubName: '{query.hub}' });
      const fn = wrap({ extraInputs: [info] }, async () => {
        ran = true;
        return {};
      });
      const missing = await call(fn.handler, {});
      expect(missing.status).toBe(400);
      expect(errorOf(missing)).toMatchObject({ code: 'InvalidBindingValue', field: 'hubName' });
      const invalid = await call(fn.handler, { query: { hub: '1-bad' } });
      expect(invalid.status).toBe(400);
      expect(ran).toBe(false);
    });

    it('a bad literal hub name or missing setting is a 500 configuration error', async () => {
      const literal = signalRInput.connectionInfo({ hubName: '1-bad' });
      const fn = wrap({ extraInputs: [literal] }, async () => ({}));
      const result = await call(fn.handler, {});
      expect(result.status).toBe(500);
      expect(errorOf(result).code).toBe('BindingConfigurationError');

      const fromSetting = signalRInput.connectionInfo({ hubName: '%MyHub%' });
      const fn2 = wrap({ extraInputs: [fromSetting] }, async () => ({}));
      const result2 = await call(fn2.handler, {});
      expect(result2.status).toBe(500);
      expect(errorOf(result2)).toMatchObject({ code: 'ConfigurationError', field: 'MyHub' });

      env = {};
      const result3 = await call(negotiate.handler, {});
      expect(result3.status).toBe(500);
      expect(errorOf(result3)).toMatchObject({ code: 'ConfigurationError', field: 'AzureSignalRConnectionString' });
    });
  });

  describe('signalR output', () => {
    it('sends after the handler returns, in array order, then returns the handler response', async () => {
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      let sentWhileHandlerRan = -1;
      const fn = wrap({ extraOutputs: [signalR] }, async (_request, context) => {
        context.extraOutputs.set(signalR, [
          { action: 'add', userId: 'u1', groupName: 'g' },
          { target: 'joined', arguments: ['u1'], groupName: 'g' },
          { Action: 'removeAll', ConnectionId: 'c1' },
        ]);
        sentWhileHandlerRan = server.requests.length;
        return { status: 201, jsonBody: { ok: true } };
      });
      const result = await call(fn.handler, {});
      expect(sentWhileHandlerRan).toBe(0);
      expect(result.status).toBe(201);
      expect(result.body).toEqual({ ok: true });
      expect(paths()).toEqual([
        'PUT /api/hubs/chat/users/u1/groups/g',
        'POST /api/hubs/chat/groups/g/:send',
        'DELETE /api/hubs/chat/connections/c1/groups',
      ]);
    });

    it('nothing set: nothing sent', async () => {
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      const fn = wrap({ extraOutputs: [signalR] }, async () => ({ status: 204 }));
      expect((await call(fn.handler, {})).status).toBe(204);
      expect(server.requests).toHaveLength(0);
    });

    it('resolves the output hub from the request', async () => {
      const signalR = signalROutput.signalR({ hubName: '{query.hub}' });
      const fn = wrap({ extraOutputs: [signalR] }, async (_request, context) => {
        context.extraOutputs.set(signalR, { target: 't', arguments: [] });
        return {};
      });
      await call(fn.handler, { query: { hub: 'Room7' } });
      expect(paths()).toEqual(['POST /api/hubs/room7/:send']);
    });

    it('a bad item makes the function answer 500 naming the item, and nothing is sent', async () => {
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      const fn = wrap({ extraOutputs: [signalR] }, async (_request, context) => {
        context.extraOutputs.set(signalR, [{ target: 'ok' }, { arguments: [] }]);
        return { status: 200 };
      });
      const result = await call(fn.handler, {});
      expect(result.status).toBe(500);
      expect(errorOf(result)).toMatchObject({ code: 'InvalidSignalROutput', field: '[1].target' });
      expect(server.requests).toHaveLength(0);
    });

    it('a handler error is rethrown and nothing is sent', async () => {
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      const fn = wrap({ extraOutputs: [signalR] }, async (_request, context) => {
        context.extraOutputs.set(signalR, { target: 't' });
        throw new Error('handler failed');
      });
      await expect(call(fn.handler, {})).rejects.toThrow('handler failed');
      expect(server.requests).toHaveLength(0);
    });

    it('a failed send replaces the response with a JSON 502 and logs the error', async () => {
      server.respondWith({ status: 403, headers: { 'x-ms-error-code': 'Error.Forbidden' } });
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      const fn = wrap({ extraOutputs: [signalR] }, async (_request, context) => {
        context.extraOutputs.set(signalR, { target: 't', userId: 'u' });
        return { status: 200, jsonBody: { ok: true } };
      });
      const result = await call(fn.handler, {});
      expect(result.status).toBe(502);
      expect(errorOf(result).message).toContain('Error.Forbidden');
      expect(result.logs.filter((l) => l.level === 'error').map((l) => l.text).join('\n')).toMatch(/send 't' to user 'u'/);
      expectNoSecrets(result);
    });

    it('per-call options reach the REST client (timeout → 504)', async () => {
      server.respondWith({ hang: true });
      const signalR = signalROutput.signalR({ hubName: 'chat' });
      const fn = withSignalR(
        {
          extraOutputs: [signalR],
          handler: async (_request, context) => {
            context.extraOutputs.set(signalR, { target: 't' });
            return {};
          },
        },
        { env: () => env, callOptions: () => ({ timeoutMs: 200 }) },
      );
      const result = await call(fn.handler, {});
      expect(result.status).toBe(504);
      expect(errorOf(result).code).toBe('SignalRServiceTimeout');
    });
  });
});
