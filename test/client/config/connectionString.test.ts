import { inspect } from 'node:util';
import { ConfigError, parseConnectionString } from '../../../src/client/config/connectionString';
import { readConnectionSetting, readConnectionStringValue } from '../../../src/client/config/settings';

const KEY = 'SuperSecretKey0123456789+/=ABCDEFGHIJKLMNOP';
const SETTING = 'MySignalR';

function parse(value: string) {
  return parseConnectionString(value, SETTING);
}

/** Runs `fn`, expects a ConfigError, and checks it names the setting (and key) and leaks no secret. */
function configError(fn: () => unknown, key?: string): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.setting).toBe(SETTING);
  expect(error.message).toContain(`'${SETTING}'`);
  if (key !== undefined) {
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  }
  expect(error.message).not.toContain(KEY);
  expect(error.message).not.toContain('s3cret-value');
  expect(inspect(error)).not.toContain(KEY);
  return error;
}

describe('parseConnectionString: valid strings', () => {
  test('endpoint, access key and version', () => {
    const config = parse(`Endpoint=https://x.service.signalr.net;AccessKey=${KEY};Version=1.0;`);
    expect(config.endpoint).toBe('https://x.service.signalr.net');
    expect(config.clientEndpoint).toBe('https://x.service.signalr.net');
    expect(config.serverEndpoint).toBe('https://x.service.signalr.net');
    expect(config.auth).toEqual({ kind: 'accessKey', accessKey: KEY });
    expect(config.version).toBe('1.0');
    expect(config.settingName).toBe(SETTING);
  });

  test('the emulator string: Port overrides the endpoint port', () => {
    const config = parse('Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;');
    expect(config.endpoint).toBe('http://localhost:8888');
    expect(config.clientEndpoint).toBe('http://localhost:8888');
    expect(config.serverEndpoint).toBe('http://localhost:8888');
  });

  test('the port inside Endpoint (the form Dapr needs) gives the same endpoints as Port=', () => {
    const inside = parse(`Endpoint=http://127.0.0.1:8888;AccessKey=${KEY};Version=1.0;`);
    const separate = parse(`Endpoint=http://127.0.0.1;Port=8888;AccessKey=${KEY};Version=1.0;`);
    for (const config of [inside, separate]) {
      expect([config.endpoint, config.clientEndpoint, config.serverEndpoint]).toEqual(['http://127.0.0.1:8888', 'http://127.0.0.1:8888', 'http://127.0.0.1:8888']);
    }
    expect(inside.describe()).toBe(separate.describe());
  });

  test('Port replaces a port already in Endpoint', () => {
    expect(parse(`Endpoint=http://localhost:1234/;Port=5678;AccessKey=${KEY}`).endpoint).toBe('http://localhost:5678');
  });

  test('trailing slashes of Endpoint are trimmed, a path is kept', () => {
    expect(parse(`Endpoint=https://x.example.com///;AccessKey=${KEY}`).endpoint).toBe('https://x.example.com');
    expect(parse(`Endpoint=https://x.example.com/signalr/;AccessKey=${KEY}`).endpoint).toBe('https://x.example.com/signalr');
  });

  test('keys are case-insensitive and whitespace around keys and values is ignored', () => {
    const config = parse(` endpoint = https://x.example.com ; ACCESSKEY = ${KEY} ; vErSiOn = 1.0 `);
    expect(config.endpoint).toBe('https://x.example.com');
    expect(config.auth).toEqual({ kind: 'accessKey', accessKey: KEY });
    expect(config.version).toBe('1.0');
  });

  test('empty segments are fine and values may contain "="', () => {
    const config = parse(`;;Endpoint=https://x.example.com;;AccessKey=abc==def=;;`);
    expect(config.auth).toEqual({ kind: 'accessKey', accessKey: 'abc==def=' });
  });

  test('Version is optional; suffixed 1.x versions are accepted like the SDK', () => {
    expect(parse(`Endpoint=https://x.example.com;AccessKey=${KEY}`).version).toBeUndefined();
    expect(parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Version=1.12`).version).toBe('1.12');
    expect(parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Version=1.0-preview`).version).toBe('1.0-preview');
  });

  test('ClientEndpoint and ServerEndpoint are used as given; Port applies to Endpoint only (SDK behaviour)', () => {
    const config = parse(
      `Endpoint=https://x.example.com;Port=8443;AccessKey=${KEY};ClientEndpoint=https://client.example.com:444/;ServerEndpoint=http://server.internal/`,
    );
    expect(config.endpoint).toBe('https://x.example.com:8443');
    expect(config.clientEndpoint).toBe('https://client.example.com:444');
    expect(config.serverEndpoint).toBe('http://server.internal');
  });

  test('unknown keys are ignored', () => {
    expect(parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Something=else`).endpoint).toBe('https://x.example.com');
  });
});

describe('parseConnectionString: Entra ID (AuthType)', () => {
  const base = 'Endpoint=https://x.example.com;';

  test('azure -> DefaultAzureCredential, no AccessKey needed', () => {
    expect(parse(`${base}AuthType=azure`).auth).toEqual({ kind: 'entra', authType: 'azure', credential: { type: 'default' } });
  });

  test('azure.msi with and without ClientId', () => {
    expect(parse(`${base}AuthType=azure.msi`).auth).toEqual({ kind: 'entra', authType: 'azure.msi', credential: { type: 'managedIdentity' } });
    expect(parse(`${base}AuthType=azure.msi;ClientId=cid`).auth).toEqual({
      kind: 'entra', authType: 'azure.msi', credential: { type: 'managedIdentity', clientId: 'cid' },
    });
  });

  test('azure.app with ClientSecret or ClientCert', () => {
    expect(parse(`${base}AuthType=azure.app;ClientId=cid;TenantId=tid;ClientSecret=s3cret-value`).auth).toEqual({
      kind: 'entra', authType: 'azure.app', credential: { type: 'clientSecret', tenantId: 'tid', clientId: 'cid', clientSecret: 's3cret-value' },
    });
    expect(parse(`${base}AuthType=azure.app;ClientId=cid;TenantId=tid;ClientCert=/certs/app.pem`).auth).toEqual({
      kind: 'entra', authType: 'azure.app', credential: { type: 'clientCertificate', tenantId: 'tid', clientId: 'cid', certificatePath: '/certs/app.pem' },
    });
  });

  test('aad: app credential with ClientId+TenantId, else managed identity; AuthType is case-insensitive', () => {
    expect(parse(`${base}AuthType=AAD;ClientId=cid;TenantId=tid;ClientSecret=s3cret-value`).auth).toMatchObject({
      authType: 'aad', credential: { type: 'clientSecret' },
    });
    expect(parse(`${base}AuthType=aad;ClientId=cid`).auth).toEqual({
      kind: 'entra', authType: 'aad', credential: { type: 'managedIdentity', clientId: 'cid' },
    });
    expect(parse(`${base}AuthType=aad`).auth).toEqual({ kind: 'entra', authType: 'aad', credential: { type: 'managedIdentity' } });
  });

  test('azure.app errors name ClientId, TenantId, ClientSecret', () => {
    configError(() => parse(`${base}AuthType=azure.app;TenantId=tid;ClientSecret=s3cret-value`), 'ClientId');
    configError(() => parse(`${base}AuthType=azure.app;ClientId=cid;ClientSecret=s3cret-value`), 'TenantId');
    configError(() => parse(`${base}AuthType=azure.app;ClientId=cid;TenantId=tid`), 'ClientSecret');
    configError(() => parse(`${base}AuthType=aad;ClientId=cid;TenantId=tid`), 'ClientSecret');
  });

  test('unknown AuthType', () => {
    const error = configError(() => parse(`${base}AuthType=kerberos`), 'AuthType');
    expect(error.message).toContain('kerberos');
  });

  test('describe() masks ClientSecret', () => {
    const text = parse(`${base}AuthType=azure.app;ClientId=cid;TenantId=tid;ClientSecret=s3cret-value`).describe();
    expect(text).toBe('Endpoint=https://x.example.com;AuthType=azure.app;ClientId=cid;TenantId=tid;ClientSecret=***;');
  });
});

describe('parseConnectionString: errors name the setting and the key, never the access key', () => {
  test('empty string', () => {
    configError(() => parse(''));
    configError(() => parse('   '));
  });

  test('missing Endpoint', () => {
    configError(() => parse(`AccessKey=${KEY};Version=1.0`), 'Endpoint');
  });
  test('empty Endpoint value', () => {
    configError(() => parse(`Endpoint=;AccessKey=${KEY}`), 'Endpoint');
  });
  test('Endpoint not a URL', () => {
    configError(() => parse(`Endpoint=not a url;AccessKey=${KEY}`), 'Endpoint');
  });
  test('Endpoint with another scheme', () => {
    const error = configError(() => parse(`Endpoint=ftp://x.example.com;AccessKey=${KEY}`), 'Endpoint');
    expect(error.message).toContain('http or https');
  });
  test('Endpoint with credentials or query', () => {
    configError(() => parse(`Endpoint=https://user:pw@x.example.com;AccessKey=${KEY}`), 'Endpoint');
    configError(() => parse(`Endpoint=https://x.example.com?a=b;AccessKey=${KEY}`), 'Endpoint');
  });

  test('missing or empty AccessKey without AuthType', () => {
    configError(() => parse('Endpoint=https://x.example.com;Version=1.0'), 'AccessKey');
    configError(() => parse('Endpoint=https://x.example.com;AccessKey=;Version=1.0'), 'AccessKey');
  });

  test.each(['0', '65536', '-1', 'abc', '80.5', '', '123456'])('Port %p is rejected', (port) => {
    configError(() => parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Port=${port}`), 'Port');
  });

  test.each(['1', '65535'])('Port %p is accepted', (port) => {
    expect(parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Port=${port}`).endpoint).toBe(`https://x.example.com:${port}`);
  });

  test.each(['2.0', '1', 'v1.0', '1.x'])('Version %p is rejected', (version) => {
    configError(() => parse(`Endpoint=https://x.example.com;AccessKey=${KEY};Version=${version}`), 'Version');
  });

  test('bad ClientEndpoint / ServerEndpoint', () => {
    configError(() => parse(`Endpoint=https://x.example.com;AccessKey=${KEY};ClientEndpoint=nope`), 'ClientEndpoint');
    configError(() => parse(`Endpoint=https://x.example.com;AccessKey=${KEY};ServerEndpoint=ws://x`), 'ServerEndpoint');
  });

  test('duplicate keys (any case) are an error naming the key', () => {
    const error = configError(() => parse(`Endpoint=https://x.example.com;AccessKey=${KEY};accesskey=${KEY}`));
    expect(error.message).toMatch(/duplicate key 'accesskey'/);
    expect(error.key).toBe('AccessKey');
  });

  test('a segment without "=" is rejected without echoing it', () => {
    const pasted = 'PastedKeyWithoutEqualsSign0123456789';
    const error = configError(() => parse(`Endpoint=https://x.example.com;${pasted};AccessKey=x`));
    expect(error.message).toContain('segment 2');
    expect(error.message).not.toContain(pasted);
  });
});

describe('log safety', () => {
  const config = parseConnectionString(`Endpoint=https://x.example.com;AccessKey=${KEY};Version=1.0;ClientEndpoint=https://c.example.com`, SETTING);

  test('describe() / toString() mask the key', () => {
    expect(config.describe()).toBe('Endpoint=https://x.example.com;AccessKey=***;ClientEndpoint=https://c.example.com;Version=1.0;');
    expect(String(config)).toBe(config.describe());
    expect(`${config}`).not.toContain(KEY);
  });

  test('JSON.stringify and util.inspect do not reveal the key', () => {
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(JSON.stringify({ config })).not.toContain(KEY);
    expect(inspect(config, { depth: 5 })).not.toContain(KEY);
  });

  test('the config is immutable', () => {
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('readConnectionSetting', () => {
  test('reads the default setting name', () => {
    const config = readConnectionSetting(undefined, { AzureSignalRConnectionString: `Endpoint=https://x.example.com;AccessKey=${KEY}` });
    expect(config.settingName).toBe('AzureSignalRConnectionString');
    expect(config.endpoint).toBe('https://x.example.com');
  });

  test('missing and empty settings name the setting', () => {
    for (const env of [{}, { [SETTING]: '' }, { [SETTING]: '   ' }]) {
      const error = configError(() => readConnectionSetting(SETTING, env));
      expect(error.message).toMatch(/not set|empty/);
    }
  });

  test('parse errors name the setting that was read', () => {
    const error = configError(() => readConnectionSetting(SETTING, { [SETTING]: 'Endpoint=https://x.example.com' }), 'AccessKey');
    expect(error.setting).toBe(SETTING);
  });

  test('readConnectionStringValue returns the raw value', () => {
    expect(readConnectionStringValue(SETTING, { [SETTING]: 'abc' })).toBe('abc');
  });
});
