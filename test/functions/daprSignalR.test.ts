import { call, connectionStringFor, errorOf, expectNoSecrets, setSettings, verifyToken, useRecordingService } from './support';
import { daprSignalRHandler, daprSignalROptions } from '../../functions/daprSignalR';

const dapr = (body: unknown) => call(daprSignalRHandler, { path: 'dapr/signalr', body }, 'daprSignalR');

describe('Dapr bindings.azure.signalr endpoint', () => {
  const server = useRecordingService();

  const sends = (): Array<{ path: string; body: unknown }> =>
    server().requests.map((r) => ({ path: `${r.method} ${r.rawPath}`, body: JSON.parse(r.body) as unknown }));

  it('is a POST at dapr/signalr behind a function key', () => {
    expect(daprSignalROptions.route).toBe('dapr/signalr');
    expect(daprSignalROptions.methods).toEqual(['POST']);
    expect(daprSignalROptions.authLevel).toBe('function');
  });

  it('create with metadata.group sends to the group (the documented example body)', async () => {
    const result = await dapr({
      data: { Target: 'newMessage', Arguments: [{ sender: 'dapr', text: 'Message from dapr output binding' }] },
      metadata: { group: 'chat123' },
      operation: 'create',
    });
    expect(result.status).toBe(204);
    expect(sends()).toEqual([
      { path: 'POST /api/hubs/chat/groups/chat123/:send', body: { target: 'newMessage', arguments: [{ sender: 'dapr', text: 'Message from dapr output binding' }] } },
    ]);
  });

  it('group wins over user; user alone sends to the user; neither broadcasts', async () => {
    await dapr({ data: { Target: 't', Arguments: [] }, metadata: { group: 'g', user: 'u' }, operation: 'create' });
    await dapr({ data: { Target: 't', Arguments: [] }, metadata: { user: 'u' }, operation: 'create' });
    await dapr({ data: { target: 't', arguments: [1] }, operation: 'create' });
    expect(sends().map((s) => s.path)).toEqual(['POST /api/hubs/chat/groups/g/:send', 'POST /api/hubs/chat/users/u/:send', 'POST /api/hubs/chat/:send']);
    expect(sends()[2].body).toEqual({ target: 't', arguments: [1] });
  });

  it('metadata.hub overrides the default hub (SignalRHubName)', async () => {
    setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRHubName: 'defaulthub' });
    await dapr({ data: { Target: 't', Arguments: [] }, metadata: { hub: 'Other' }, operation: 'create' });
    await dapr({ data: { Target: 't', Arguments: [] }, operation: 'create' });
    expect(sends().map((s) => s.path)).toEqual(['POST /api/hubs/other/:send', 'POST /api/hubs/defaulthub/:send']);
  });

  it('clientNegotiate returns {url, accessToken} for metadata.user', async () => {
    const result = await dapr({ metadata: { user: 'dapr-user', hub: 'Room' }, operation: 'clientNegotiate' });
    expect(result.status).toBe(200);
    const body = result.body as { url: string; accessToken: string };
    expect(body.url).toBe(`${server().url}/client/?hub=room`);
    const claims = verifyToken(body.accessToken);
    expect(claims.aud).toBe(body.url);
    expect(claims['asrs.s.uid']).toBe('dapr-user');
    expect(server().requests).toHaveLength(0);
  });

  it('clientNegotiate without a user gives an anonymous token', async () => {
    const result = await dapr({ operation: 'clientNegotiate' });
    expect(result.status).toBe(200);
    expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBeUndefined();
  });

  it.each([
    ['unknown operation', { operation: 'delete', data: { Target: 't' } }, 'UnsupportedOperation', 'operation'],
    ['missing operation', { data: { Target: 't' } }, 'MissingField', 'operation'],
    ['data not an object', { operation: 'create', data: 'hello' }, 'InvalidField', 'data'],
    ['missing data', { operation: 'create' }, 'InvalidField', 'data'],
    ['missing Target', { operation: 'create', data: { Arguments: [] } }, 'InvalidField', 'data.Target'],
    ['Arguments not an array', { operation: 'create', data: { Target: 't', Arguments: {} } }, 'InvalidField', 'data.Arguments'],
    ['non-string metadata', { operation: 'create', data: { Target: 't' }, metadata: { group: 5 } }, 'InvalidField', 'metadata.group'],
    ['invalid hub', { operation: 'create', data: { Target: 't' }, metadata: { hub: '1bad' } }, 'InvalidField', 'metadata.hub'],
    ['body not an object', [1, 2], 'InvalidBody', undefined],
  ])('%s is 400', async (_name, body, code, field) => {
    const result = await dapr(body);
    expect(result.status).toBe(400);
    const error = errorOf(result);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(server().requests).toHaveLength(0);
  });

  it('the 400 for an unknown operation lists the supported ones', async () => {
    const result = await dapr({ operation: 'get' });
    expect(errorOf(result).message).toContain("'create', 'clientNegotiate'");
  });

  it('a service failure is 502 without secrets', async () => {
    server().respondWith({ status: 401, body: 'unauthorized' });
    const result = await dapr({ data: { Target: 't', Arguments: [] }, operation: 'create' });
    expect(result.status).toBe(502);
    expect(errorOf(result).code).toBe('SignalRServiceRejected');
    expectNoSecrets(result);
  });
});
