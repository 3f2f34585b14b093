import jwt from 'jsonwebtoken';
import { inspect } from 'node:util';
import { ConfigError, parseConnectionString } from '../../../src/client/config/connectionString';
import { createEntraCredential, EntraAuthError, SIGNALR_ENTRA_SCOPE, type TokenCredentialLike } from '../../../src/client/auth/entra';
import { createSignalRService } from '../../../src/client/service';
import { RecordingServer } from '../../support/recordingServer';

const SETTING = 'EntraSignalR';
const ENTRA_TOKEN = 'entra-access-token-value';

/** Stands in for an @azure/identity credential (Azure itself is the only thing mocked). */
class FakeCredential implements TokenCredentialLike {
  readonly calls: Array<string | string[]> = [];
  constructor(private readonly expiresInMs = 3_600_000) {}
  async getToken(scopes: string | string[]) {
    this.calls.push(scopes);
    return { token: ENTRA_TOKEN, expiresOnTimestamp: Date.now() + this.expiresInMs };
  }
}

describe('createEntraCredential', () => {
  test('@azure/identity is not installed: ConfigError naming the setting and the package', () => {
    const config = parseConnectionString('Endpoint=https://x.example.com;AuthType=azure', SETTING);
    let caught: unknown;
    try {
      createSignalRService(config); // real require('@azure/identity'), which is absent here
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ setting: SETTING, key: 'AuthType' });
    expect((caught as Error).message).toMatch(/npm install @azure\/identity/);
  });

  test('other load failures propagate', () => {
    expect(() => createEntraCredential({ type: 'default' }, 'azure', SETTING, () => {
      throw new Error('boom');
    })).toThrow('boom');
  });

  test('builds the credential class the connection string asks for, with its arguments', () => {
    const made: Array<{ name: string; args: unknown[] }> = [];
    const cls = (name: string) =>
      class {
        constructor(...args: unknown[]) {
          made.push({ name, args });
        }
        async getToken() {
          return null;
        }
      };
    const identity = {
      DefaultAzureCredential: cls('DefaultAzureCredential'),
      ManagedIdentityCredential: cls('ManagedIdentityCredential'),
      ClientSecretCredential: cls('ClientSecretCredential'),
      ClientCertificateCredential: cls('ClientCertificateCredential'),
    };
    const load = () => identity;
    createEntraCredential({ type: 'default' }, 'azure', SETTING, load);
    createEntraCredential({ type: 'managedIdentity' }, 'azure.msi', SETTING, load);
    createEntraCredential({ type: 'managedIdentity', clientId: 'cid' }, 'azure.msi', SETTING, load);
    createEntraCredential({ type: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 's' }, 'azure.app', SETTING, load);
    createEntraCredential({ type: 'clientCertificate', tenantId: 't', clientId: 'c', certificatePath: '/p.pem' }, 'azure.app', SETTING, load);
    expect(made).toEqual([
      { name: 'DefaultAzureCredential', args: [] },
      { name: 'ManagedIdentityCredential', args: [] },
      { name: 'ManagedIdentityCredential', args: ['cid'] },
      { name: 'ClientSecretCredential', args: ['t', 'c', 's'] },
      { name: 'ClientCertificateCredential', args: ['t', 'c', '/p.pem'] },
    ]);
  });

  test('a module without the class is a ConfigError', () => {
    expect(() => createEntraCredential({ type: 'default' }, 'azure', SETTING, () => ({}))).toThrow(ConfigError);
  });
});

describe('service with Entra ID auth', () => {
  let server: RecordingServer;
  const accessKey = 'temporary-access-key-from-service';

  beforeEach(async () => {
    server = await RecordingServer.start((request) => {
      if (request.method === 'GET' && request.rawPath === '/api/v1/auth/accessKey') {
        return { status: 200, body: { KeyId: 'kid-42', AccessKey: accessKey } };
      }
      return { status: 202 };
    });
  });
  afterEach(async () => server.close());

  test('REST calls carry the Entra token for the SignalR scope; the token is reused', async () => {
    const credential = new FakeCredential();
    const config = parseConnectionString(`Endpoint=${server.url};AuthType=azure.msi`, SETTING);
    const service = createSignalRService(config, { credential });
    try {
      await service.rest.sendToUser('chat', 'u', { target: 't', arguments: [] });
      await service.rest.broadcast('chat', { target: 't', arguments: [] });
      expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${ENTRA_TOKEN}`, `Bearer ${ENTRA_TOKEN}`]);
      expect(credential.calls).toEqual([SIGNALR_ENTRA_SCOPE]);
    } finally {
      service.close();
    }
  });

  test('an Entra token close to expiry is refreshed', async () => {
    const credential = new FakeCredential(60_000); // inside the 5-minute refresh margin
    const service = createSignalRService(parseConnectionString(`Endpoint=${server.url};AuthType=azure`, SETTING), { credential });
    try {
      await service.rest.broadcast('chat', { target: 't', arguments: [] });
      await service.rest.broadcast('chat', { target: 't', arguments: [] });
      expect(credential.calls).toHaveLength(2);
    } finally {
      service.close();
    }
  });

  test('client tokens are signed with the access key fetched from /api/v1/auth/accessKey, kid = KeyId', async () => {
    const credential = new FakeCredential();
    const service = createSignalRService(parseConnectionString(`Endpoint=${server.url};AuthType=azure`, SETTING), { credential });
    try {
      const info = await service.clientConnectionInfo('Chat', { userId: 'bob' });
      await service.clientConnectionInfo('chat');
      expect(info.url).toBe(`${server.url}/client/?hub=chat`);
      const decoded = jwt.decode(info.accessToken, { complete: true });
      expect(decoded?.header.kid).toBe('kid-42');
      const claims = jwt.verify(info.accessToken, accessKey) as jwt.JwtPayload;
      expect(claims.aud).toBe(info.url);
      expect(claims['asrs.s.uid']).toBe('bob');
      const keyRequests = server.requests.filter((r) => r.rawPath === '/api/v1/auth/accessKey');
      expect(keyRequests).toHaveLength(1);
      expect(keyRequests[0]!.headers.authorization).toBe(`Bearer ${ENTRA_TOKEN}`);
    } finally {
      service.close();
    }
  });

  test('a refused access-key request is a clear error without the Entra token', async () => {
    server.respondWith({ status: 403 });
    const service = createSignalRService(parseConnectionString(`Endpoint=${server.url};AuthType=azure`, SETTING), { credential: new FakeCredential() });
    try {
      const error = await service.clientConnectionInfo('chat').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EntraAuthError);
      expect((error as Error).message).toMatch(/HTTP 403/);
      expect(inspect(error)).not.toContain(ENTRA_TOKEN);
    } finally {
      service.close();
    }
  });

  test('a credential failure surfaces as EntraAuthError', async () => {
    const failing: TokenCredentialLike = { getToken: async () => { throw new Error('no managed identity here'); } };
    const service = createSignalRService(parseConnectionString(`Endpoint=${server.url};AuthType=azure.msi`, SETTING), { credential: failing });
    try {
      await expect(service.rest.broadcast('chat', { target: 't', arguments: [] })).rejects.toThrow(/no managed identity here/);
      expect(server.requests).toHaveLength(0);
    } finally {
      service.close();
    }
  });
});
