import { call, connectionStringFor, errorOf, setSettings, type RequestSpec, useRecordingService } from './support';
import { addToGroupOptions } from '../../functions/addToGroup';
import { removeFromGroupOptions } from '../../functions/removeFromGroup';

const add = (spec: RequestSpec) => call(addToGroupOptions.handler, { path: 'addToGroup', ...spec }, 'addToGroup');
const remove = (spec: RequestSpec) => call(removeFromGroupOptions.handler, { path: 'removeFromGroup', ...spec }, 'removeFromGroup');

describe('addToGroup and removeFromGroup functions', () => {
  const server = useRecordingService({ respond: (request) => ({ status: request.method === 'PUT' ? 200 : 204 }), settings: { SignalRAllowClientUserId: 'true' } });

  const calls = (): string[] => server().requests.map((r) => `${r.method} ${r.rawPath}?${r.rawUrl.split('?')[1] ?? ''}`);

  it('register POST only and no host bindings', () => {
    for (const options of [addToGroupOptions, removeFromGroupOptions]) {
      expect(options.methods).toEqual(['POST']);
      expect(options.extraOutputs).toBeUndefined();
    }
  });

  it('adds a user (what the chat page sends)', async () => {
    const result = await add({ headers: { 'x-user-id': 'alice' }, body: { groupName: 'room1', userId: 'alice' } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ action: 'add', groupName: 'room1', userId: 'alice' });
    expect(calls()).toEqual(['PUT /api/hubs/chat/users/alice/groups/room1?api-version=2022-06-01']);
  });

  it('defaults the user to the identified caller', async () => {
    const result = await add({ headers: { 'x-ms-client-principal-id': 'p-1' }, body: { GroupName: 'room1' } });
    expect(result.status).toBe(200);
    expect(calls()).toEqual(['PUT /api/hubs/chat/users/p-1/groups/room1?api-version=2022-06-01']);
  });

  it('connectionId wins over userId', async () => {
    const result = await add({ headers: { 'x-user-id': 'alice' }, body: { groupName: 'g', userId: 'alice', connectionId: 'conn-1' } });
    expect(result.status).toBe(200);
    expect(calls()).toEqual(['PUT /api/hubs/chat/groups/g/connections/conn-1?api-version=2022-06-01']);
  });

  it('an anonymous caller may manage a connection even when client user ids are off', async () => {
    setSettings({ AzureSignalRConnectionString: connectionStringFor(server()) });
    const result = await remove({ body: { groupName: 'g', connectionId: 'conn-1' } });
    expect(result.status).toBe(200);
    expect(calls()).toEqual(['DELETE /api/hubs/chat/groups/g/connections/conn-1?api-version=2022-06-01']);
  });

  it('removes a user from one group', async () => {
    const result = await remove({ headers: { 'x-user-id': 'alice' }, body: { groupName: 'room1', userId: 'alice' } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ action: 'remove', groupName: 'room1', userId: 'alice' });
    expect(calls()).toEqual(['DELETE /api/hubs/chat/users/alice/groups/room1?api-version=2022-06-01']);
  });

  it('without groupName removes the user from all groups', async () => {
    const result = await remove({ headers: { 'x-user-id': 'alice' }, body: {} });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ action: 'removeAll', userId: 'alice' });
    expect(calls()).toEqual(['DELETE /api/hubs/chat/users/alice/groups?api-version=2022-06-01']);
  });

  it('without groupName removes a connection from all groups', async () => {
    const result = await remove({ body: { connectionId: 'c/1' } });
    expect(result.status).toBe(200);
    expect(calls()).toEqual(['DELETE /api/hubs/chat/connections/c%2F1/groups?api-version=2022-06-01']);
  });

  describe('identity', () => {
    it('an identified caller may not add another user (403)', async () => {
      const result = await add({ headers: { 'x-ms-client-principal-id': 'alice' }, body: { groupName: 'g', userId: 'bob' } });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'ActingAsAnotherUser', field: 'userId' });
      expect(server().requests).toHaveLength(0);
    });

    it('a client-stated caller may not remove another user (403)', async () => {
      const result = await remove({ headers: { 'x-user-id': 'alice' }, body: { groupName: 'g', userId: 'bob' } });
      expect(result.status).toBe(403);
      expect(errorOf(result).code).toBe('ActingAsAnotherUser');
    });

    it('a body userId from an anonymous caller is refused unless client user ids are allowed', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()) });
      const result = await add({ body: { groupName: 'g', userId: 'bob' } });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'ClientUserIdNotAllowed', field: 'userId' });
    });

    it('a body userId from an anonymous caller is honoured when allowed', async () => {
      const result = await add({ body: { groupName: 'g', userId: 'bob' } });
      expect(result.status).toBe(200);
      expect(calls()).toEqual(['PUT /api/hubs/chat/users/bob/groups/g?api-version=2022-06-01']);
    });
  });

  describe('bad requests', () => {
    it.each([
      ['add', 'malformed JSON', '{', 'InvalidJson', undefined],
      ['add', 'array body', '[]', 'InvalidBody', undefined],
      ['add', 'no groupName', { userId: 'alice' }, 'MissingField', 'groupName'],
      ['add', 'numeric groupName', { groupName: 3, userId: 'alice' }, 'InvalidField', 'groupName'],
      ['add', 'blank groupName', { groupName: '   ', userId: 'alice' }, 'InvalidField', 'groupName'],
      ['add', 'too long groupName', { groupName: 'g'.repeat(1025), userId: 'alice' }, 'InvalidField', 'groupName'],
      ['remove', 'empty connectionId', { groupName: 'g', connectionId: '' }, 'InvalidField', 'connectionId'],
    ] as const)('%s: %s', async (which, _name, body, code, field) => {
      const result = await (which === 'add' ? add : remove)({ headers: { 'x-user-id': 'alice' }, body });
      expect(result.status).toBe(400);
      expect(errorOf(result).code).toBe(code);
      expect(errorOf(result).field).toBe(field);
      expect(server().requests).toHaveLength(0);
    });

    it('no user and no connection from an anonymous caller', async () => {
      const result = await add({ body: { groupName: 'g' } });
      expect(result.status).toBe(400);
      expect(errorOf(result)).toMatchObject({ code: 'MissingField', field: 'userId' });
    });
  });

  it('a connection the service does not know is 404 SignalRNotFound', async () => {
    server().respondWith({ status: 404, headers: { 'x-ms-error-code': 'Error.Connection.NotExisted' }, body: { code: 'Error.Connection.NotExisted', message: 'no' } });
    const result = await add({ body: { groupName: 'g', connectionId: 'gone' } });
    expect(result.status).toBe(404);
    expect(errorOf(result).code).toBe('SignalRNotFound');
    expect(errorOf(result).message).toContain('Error.Connection.NotExisted');
  });
});
