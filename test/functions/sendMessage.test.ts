import { call, connectionStringFor, errorOf, expectNoSecrets, setSettings, type RequestSpec, useRecordingService } from './support';
import { RecordingServer, type RecordedRequest } from '../support/recordingServer';
import { sendMessageOptions } from '../../functions/sendMessage';

const send = (spec: RequestSpec) => call(sendMessageOptions.handler, { path: 'sendMessage', ...spec }, 'sendMessage');

function sent(request: RecordedRequest): { path: string; body: unknown } {
  return { path: `${request.method} ${request.rawPath}`, body: JSON.parse(request.body) as unknown };
}

describe('sendMessage function', () => {
  const server = useRecordingService({ settings: { SignalRAllowClientUserId: 'true' } });

  it('registers POST only and no binding with the host', () => {
    expect(sendMessageOptions.methods).toEqual(['POST']);
    expect(sendMessageOptions.extraOutputs).toBeUndefined();
    expect(sendMessageOptions.extraInputs).toBeUndefined();
  });

  it('a message with groupName makes exactly one POST to the group :send with api-version 2022-06-01', async () => {
    const result = await send({ body: { target: 'newMessage', arguments: ['hi'], groupName: 'room 1/a' } });
    expect(result.status).toBe(202);
    expect(result.body).toEqual({ sent: 1 });
    expect(server().requests).toHaveLength(1);
    const [request] = server().requests;
    expect(request.method).toBe('POST');
    expect(request.rawPath).toBe('/api/hubs/chat/groups/room%201%2Fa/:send');
    expect(request.query['api-version']).toEqual(['2022-06-01']);
    expect(JSON.parse(request.body)).toEqual({ target: 'newMessage', arguments: ['hi'] });
    expect(request.headers.authorization).toMatch(/^Bearer eyJ/);
  });

  it('routes connectionId > userId > groupName > broadcast', async () => {
    await send({ body: { target: 't', arguments: [], connectionId: 'c1', userId: 'u1', groupName: 'g1' } });
    await send({ body: { target: 't', arguments: [], userId: 'u1', groupName: 'g1' } });
    await send({ body: { target: 't', arguments: [], groupName: 'g1' } });
    await send({ body: { target: 't', arguments: [] } });
    expect(server().requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual([
      'POST /api/hubs/chat/connections/c1/:send',
      'POST /api/hubs/chat/users/u1/:send',
      'POST /api/hubs/chat/groups/g1/:send',
      'POST /api/hubs/chat/:send',
    ]);
  });

  it('accepts PascalCase keys', async () => {
    const result = await send({ body: { Target: 'newMessage', Arguments: [1, 2], UserId: 'bob' } });
    expect(result.status).toBe(202);
    expect(server().requests.map(sent)).toEqual([{ path: 'POST /api/hubs/chat/users/bob/:send', body: { target: 'newMessage', arguments: [1, 2] } }]);
  });

  it('sends an array in order, one call per message, and uses SignalRHubName', async () => {
    setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRHubName: 'Lobby' });
    const result = await send({
      body: [
        { target: 'a', arguments: [1] },
        { target: 'b', arguments: [2], groupName: 'g' },
        { target: 'c', arguments: [3], connectionId: 'x' },
      ],
    });
    expect(result.status).toBe(202);
    expect(result.body).toEqual({ sent: 3 });
    expect(server().requests.map(sent)).toEqual([
      { path: 'POST /api/hubs/lobby/:send', body: { target: 'a', arguments: [1] } },
      { path: 'POST /api/hubs/lobby/groups/g/:send', body: { target: 'b', arguments: [2] } },
      { path: 'POST /api/hubs/lobby/connections/x/:send', body: { target: 'c', arguments: [3] } },
    ]);
  });

  describe('sender', () => {
    it('stamps the identified caller as sender on object arguments, leaves others alone', async () => {
      const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'newMessage', arguments: [{ text: 'hi' }, 'plain', 7] } });
      expect(result.status).toBe(202);
      expect(sent(server().requests[0]).body).toEqual({ target: 'newMessage', arguments: [{ text: 'hi', sender: 'alice' }, 'plain', 7] });
    });

    it('keeps a matching sender (what the chat page sends)', async () => {
      const payload = { sender: 'alice', text: 'hi', sentAt: '2024-01-01T00:00:00Z', to: { kind: 'all', name: '' } };
      const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'newMessage', arguments: [payload] } });
      expect(result.status).toBe(202);
      expect(sent(server().requests[0]).body).toEqual({ target: 'newMessage', arguments: [payload] });
    });

    it('uses the platform principal as sender', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()) });
      const result = await send({ headers: { 'x-ms-client-principal-id': 'p-1' }, body: { target: 'm', arguments: [{ text: 'x' }] } });
      expect(result.status).toBe(202);
      expect(sent(server().requests[0]).body).toEqual({ target: 'm', arguments: [{ text: 'x', sender: 'p-1' }] });
    });

    it('refuses a forged sender with 403 and sends nothing', async () => {
      const result = await send({
        headers: { 'x-user-id': 'alice' },
        body: [{ target: 'm', arguments: [] }, { target: 'm', arguments: ['x', { sender: 'bob', text: 'hi' }] }],
      });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'SenderMismatch', field: '[1].arguments[1].sender' });
      expect(server().requests).toHaveLength(0);
    });

    it('refuses a sender from an anonymous caller', async () => {
      const result = await send({ body: { target: 'm', arguments: [{ sender: 'bob' }] } });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'SenderNotAllowed', field: 'arguments[0].sender' });
    });

    it('an anonymous caller without sender passes arguments as given', async () => {
      const result = await send({ body: { target: 'm', arguments: [{ text: 'hi' }] } });
      expect(result.status).toBe(202);
      expect(sent(server().requests[0]).body).toEqual({ target: 'm', arguments: [{ text: 'hi' }] });
    });

    it('x-user-id is refused when client user ids are not allowed', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()) });
      const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'm', arguments: [] } });
      expect(result.status).toBe(403);
      expect(errorOf(result).code).toBe('ClientUserIdNotAllowed');
      expect(server().requests).toHaveLength(0);
    });
  });

  describe('bad requests get 400 JSON naming the field, and nothing is sent', () => {
    it.each([
      ['malformed JSON', '{"target": ', 'InvalidJson', undefined],
      ['empty body', '', 'MissingBody', undefined],
      ['a JSON string', '"hello"', 'InvalidBody', undefined],
      ['an empty array', '[]', 'InvalidBody', undefined],
      ['missing target', { arguments: [] }, 'InvalidMessage', 'target'],
      ['empty target', { target: '  ', arguments: [] }, 'InvalidMessage', 'target'],
      ['numeric target', { target: 5 }, 'InvalidMessage', 'target'],
      ['arguments not an array', { target: 't', arguments: 'x' }, 'InvalidMessage', 'arguments'],
      ['empty groupName', { target: 't', groupName: '' }, 'InvalidMessage', 'groupName'],
      ['numeric userId', { target: 't', userId: 42 }, 'InvalidMessage', 'userId'],
      ['too long groupName', { target: 't', groupName: 'g'.repeat(1025) }, 'InvalidMessage', 'groupName'],
      ['both target and Target', { target: 't', Target: 'u' }, 'InvalidMessage', 'target'],
      ['bad second item', [{ target: 't' }, { arguments: [] }], 'InvalidMessage', '[1].target'],
      ['non-object item', [{ target: 't' }, 'x'], 'InvalidMessage', '[1]'],
      ['a group action', { action: 'add', userId: 'u', groupName: 'g' }, 'InvalidMessage', 'action'],
      ['too many messages', Array.from({ length: 101 }, () => ({ target: 't' })), 'TooManyMessages', undefined],
    ])('%s', async (_name, body, code, field) => {
      const result = await send({ body });
      expect(result.status).toBe(400);
      const error = errorOf(result);
      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
      expect(server().requests).toHaveLength(0);
      expectNoSecrets(result);
    });
  });

  describe('service failures become JSON 5xx without secrets', () => {
    it('service answers 500: 502 SignalRServiceRejected', async () => {
      server().respondWith({ status: 500, headers: { 'x-ms-error-code': 'Error.Internal' }, body: { code: 'Error.Internal', message: 'boom' } });
      const result = await send({ body: { target: 't', arguments: [], groupName: 'g' } });
      expect(result.status).toBe(502);
      expect(errorOf(result)).toMatchObject({ code: 'SignalRServiceRejected' });
      expect(errorOf(result).message).toContain('500');
      expect(result.logs.some((l) => l.level === 'error')).toBe(true);
      expectNoSecrets(result);
    });

    it.each([
      [503, 503, 'SignalRServiceUnavailable'],
      [504, 504, 'SignalRServiceTimeout'],
      [401, 502, 'SignalRServiceRejected'],
    ])('service answers %i: %i %s', async (serviceStatus, status, code) => {
      server().respondWith({ status: serviceStatus });
      const result = await send({ body: { target: 't', arguments: [] } });
      expect(result.status).toBe(status);
      expect(errorOf(result).code).toBe(code);
      expectNoSecrets(result);
    });

    it('stops at the first failure: later items are not sent, the failing index is named', async () => {
      server().enqueue({ status: 202 }, { status: 500 });
      const result = await send({ body: [{ target: 'a' }, { target: 'b', userId: 'u' }, { target: 'c' }] });
      expect(result.status).toBe(502);
      expect(errorOf(result).field).toBe('[1]');
      expect(server().requests.map((r) => r.rawPath)).toEqual(['/api/hubs/chat/:send', '/api/hubs/chat/users/u/:send']);
      expect(result.logs.map((l) => l.text).join('\n')).toContain('1 of 3 items were sent');
    });

    it('service unreachable: 503 SignalRServiceUnavailable', async () => {
      const down = await RecordingServer.start();
      const url = down.url;
      await down.close();
      setSettings({ AzureSignalRConnectionString: `Endpoint=${url};AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;` });
      const result = await send({ body: { target: 't', arguments: [] } });
      expect(result.status).toBe(503);
      expect(errorOf(result).code).toBe('SignalRServiceUnavailable');
      expectNoSecrets(result);
    });

    it('service never answers: 504 SignalRServiceTimeout within SignalRRestTimeoutMs', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRRestTimeoutMs: '300' });
      server().respondWith({ hang: true });
      const result = await send({ body: { target: 't', arguments: [] } });
      expect(result.status).toBe(504);
      expect(errorOf(result).code).toBe('SignalRServiceTimeout');
      expectNoSecrets(result);
    });

    it('invalid SignalRRestTimeoutMs is a configuration error', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRRestTimeoutMs: 'fast' });
      const result = await send({ body: { target: 't' } });
      expect(result.status).toBe(500);
      expect(errorOf(result)).toMatchObject({ code: 'ConfigurationError', field: 'SignalRRestTimeoutMs' });
    });
  });
});
