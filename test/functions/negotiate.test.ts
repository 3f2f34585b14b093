import { call, connectionStringFor, errorOf, expectNoSecrets, setSettings, verifyToken, useRecordingService } from './support';
import { negotiate, negotiateOptions } from '../../functions/negotiate';

describe('negotiate function', () => {
  const server = useRecordingService();

  it('is registered for GET and POST, anonymous, at route negotiate', () => {
    expect(negotiateOptions.methods).toEqual(['GET', 'POST']);
    expect(negotiateOptions.authLevel).toBe('anonymous');
    expect(negotiateOptions.route).toBe('negotiate');
  });

  it.each(['GET', 'POST'])('%s returns the client URL and a token for it, valid one hour, for hub chat by default', async (method) => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const result = await call(negotiate, { method, path: 'negotiate' });
    expect(result.status).toBe(200);
    const body = result.body as { url: string; accessToken: string };
    expect(body.url).toBe(`${server().url}/client/?hub=chat`);
    const claims = verifyToken(body.accessToken);
    expect(claims.aud).toBe(body.url);
    expect(claims['asrs.s.uid']).toBeUndefined();
    expect(claims.exp).toBeGreaterThanOrEqual(nowSeconds + 3600 - 5);
    expect(claims.exp).toBeLessThanOrEqual(nowSeconds + 3600 + 60);
    expect(result.headers['cache-control']).toBe('no-store');
    expect(server().requests).toHaveLength(0); // negotiate signs locally, no REST call
  });

  it('puts the platform principal into asrs.s.uid', async () => {
    const result = await call(negotiate, { headers: { 'X-MS-CLIENT-PRINCIPAL-ID': 'aad-user-1' } });
    expect(result.status).toBe(200);
    expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBe('aad-user-1');
  });

  it('reads the Static Web Apps principal (x-ms-client-principal) when there is no principal-id header', async () => {
    const principal = Buffer.from(JSON.stringify({ identityProvider: 'github', userId: 'swa-user', userDetails: 'ann', userRoles: ['anonymous'] })).toString('base64');
    const result = await call(negotiate, { headers: { 'x-ms-client-principal': principal } });
    expect(result.status).toBe(200);
    expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBe('swa-user');
  });

  it('a malformed x-ms-client-principal is ignored, not a crash', async () => {
    const result = await call(negotiate, { headers: { 'x-ms-client-principal': 'bm90IGpzb24=' } });
    expect(result.status).toBe(200);
    expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBeUndefined();
  });

  it('honours SignalRHubName and SignalRTokenLifetimeSeconds', async () => {
    setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRHubName: 'Lobby', SignalRTokenLifetimeSeconds: '120' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const result = await call(negotiate);
    const body = result.body as { url: string; accessToken: string };
    expect(body.url).toBe(`${server().url}/client/?hub=lobby`);
    const claims = verifyToken(body.accessToken);
    expect(claims.exp).toBeGreaterThanOrEqual(nowSeconds + 120 - 5);
    expect(claims.exp).toBeLessThanOrEqual(nowSeconds + 120 + 60);
  });

  describe('client-supplied user id', () => {
    it('is used from query userId when SignalRAllowClientUserId is true', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRAllowClientUserId: 'true' });
      const result = await call(negotiate, { query: { userId: 'alice', negotiateVersion: '1' } });
      expect(result.status).toBe(200);
      expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBe('alice');
    });

    it('is used from header x-user-id when allowed', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRAllowClientUserId: 'TRUE' });
      const result = await call(negotiate, { headers: { 'x-user-id': 'bob' } });
      expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBe('bob');
    });

    it('is refused with 403 when SignalRAllowClientUserId is not true', async () => {
      const result = await call(negotiate, { query: { userId: 'alice' } });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'ClientUserIdNotAllowed', field: 'userId' });
      expectNoSecrets(result);
    });

    it('may not contradict the signed-in principal (403)', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRAllowClientUserId: 'true' });
      const result = await call(negotiate, { headers: { 'x-ms-client-principal-id': 'alice', 'x-user-id': 'mallory' } });
      expect(result.status).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'UserIdMismatch', field: 'x-user-id' });
    });

    it('may repeat the principal', async () => {
      const result = await call(negotiate, { headers: { 'x-ms-client-principal-id': 'alice' }, query: { userId: 'alice' } });
      expect(result.status).toBe(200);
      expect(verifyToken((result.body as { accessToken: string }).accessToken)['asrs.s.uid']).toBe('alice');
    });

    it('header and query must agree (400)', async () => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), SignalRAllowClientUserId: 'true' });
      const result = await call(negotiate, { headers: { 'x-user-id': 'alice' }, query: { userId: 'bob' } });
      expect(result.status).toBe(400);
      expect(errorOf(result).code).toBe('ConflictingUserId');
    });
  });

  describe('configuration errors are 500 naming the setting, never its value', () => {
    it('missing connection string', async () => {
      setSettings({});
      const result = await call(negotiate);
      expect(result.status).toBe(500);
      expect(errorOf(result)).toMatchObject({ code: 'ConfigurationError', field: 'AzureSignalRConnectionString' });
      expect(result.logs.some((l) => l.level === 'error' && l.text.includes('AzureSignalRConnectionString'))).toBe(true);
    });

    it('connection string without AccessKey names the key', async () => {
      setSettings({ AzureSignalRConnectionString: `Endpoint=${server().url};Version=1.0;` });
      const result = await call(negotiate);
      expect(result.status).toBe(500);
      expect(errorOf(result).message).toContain('AccessKey');
    });

    it('invalid connection string does not echo the value', async () => {
      setSettings({ AzureSignalRConnectionString: `Endpoint=ftp://x;AccessKey=${'Z'.repeat(40)}SECRET;` });
      const result = await call(negotiate);
      expect(result.status).toBe(500);
      expect(JSON.stringify(result.body)).not.toContain('SECRET');
      expect(result.logs.map((l) => l.text).join('\n')).not.toContain('SECRET');
    });

    it.each([
      ['SignalRTokenLifetimeSeconds', 'soon'],
      ['SignalRTokenLifetimeSeconds', '0'],
      ['SignalRAllowClientUserId', 'yes'],
      ['SignalRHubName', '9lives'],
    ] as const)('%s = %s', async (setting, value) => {
      setSettings({ AzureSignalRConnectionString: connectionStringFor(server()), [setting]: value });
      const result = await call(negotiate);
      expect(result.status).toBe(500);
      expect(errorOf(result)).toMatchObject({ code: 'ConfigurationError', field: setting });
    });
  });
});
