import { ConfigError } from '../../../src/client/config/connectionString';
import { ENDPOINTS_SECTION, parseEndpointSettings, scanEndpointEntries } from '../../../src/client/config/endpointSettings';
import { DEFAULT_HEALTH_INTERVAL_SECONDS, HEALTH_INTERVAL_SETTING, readHealthIntervalMs } from '../../../src/client/config/healthInterval';
import { readConnectionStringValue, type Environment } from '../../../src/client/config/settings';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const SETTING = 'AzureSignalRConnectionString';
const cs = (host: string, extra = ''): string => `Endpoint=https://${host}.example.com;AccessKey=${KEY};Version=1.0;${extra}`;

function parse(env: Environment) {
  return parseEndpointSettings(SETTING, env, scanEndpointEntries(env));
}

/** The ConfigError `parse(env)` throws (fails the test when it does not throw one). */
function configErrorOf(env: Environment): ConfigError {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('endpoint settings', () => {
  test('the connection setting alone is one primary endpoint named "", with the errors it always had', () => {
    const [only, ...rest] = parse({ [SETTING]: cs('a') });
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ name: '', type: 'primary', setting: SETTING });
    expect(only!.config.endpoint).toBe('https://a.example.com');
    for (const env of [{}, { [SETTING]: '  ' }]) {
      let expected: unknown;
      try {
        readConnectionStringValue(SETTING, env);
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(ConfigError);
      expect(() => parse(env)).toThrow((expected as Error).message);
    }
  });

  test('named endpoints in both spellings, any case, after the connection setting, by name, primary first', () => {
    const endpoints = parse({
      [SETTING]: cs('default'),
      Azure__SignalR__Endpoints__west__Secondary: cs('west2'),
      'Azure:SignalR:Endpoints:west': cs('west1'),
      azure__signalr__endpoints__east__PRIMARY: cs('east'),
      Azure__SignalR__Endpoints__ep10: cs('ep10'),
      Azure__SignalR__Endpoints__ep2: cs('ep2'),
      Unrelated__Setting: 'x',
    });
    expect(endpoints.map((e) => [e.name, e.type, e.config.endpoint])).toEqual([
      ['', 'primary', 'https://default.example.com'],
      ['east', 'primary', 'https://east.example.com'],
      ['ep2', 'primary', 'https://ep2.example.com'],
      ['ep10', 'primary', 'https://ep10.example.com'],
      ['west', 'primary', 'https://west1.example.com'],
      ['west', 'secondary', 'https://west2.example.com'],
    ]);
    expect(endpoints[5]!.setting).toBe('Azure__SignalR__Endpoints__west__Secondary');
    expect(endpoints[4]!.setting).toBe('Azure:SignalR:Endpoints:west');
  });

  test('with named endpoints, an empty or missing connection setting adds nothing', () => {
    for (const value of [undefined, '']) {
      const env: Record<string, string | undefined> = { Azure__SignalR__Endpoints__a: cs('a'), Azure__SignalR__Endpoints__b: cs('b') };
      if (value !== undefined) env[SETTING] = value;
      expect(parse(env).map((e) => e.name)).toEqual(['a', 'b']);
    }
  });

  test('identity by AuthType works per endpoint', () => {
    const endpoints = parse({
      Azure__SignalR__Endpoints__key: cs('key'),
      Azure__SignalR__Endpoints__msi: 'Endpoint=https://msi.example.com;AuthType=azure.msi;ClientId=abc;Version=1.0;',
    });
    expect(endpoints.map((e) => e.config.auth.kind)).toEqual(['accessKey', 'entra']);
    expect(endpoints[1]!.config.auth).toMatchObject({ authType: 'azure.msi', credential: { type: 'managedIdentity', clientId: 'abc' } });
  });

  test.each([
    ['an unknown type suffix', { Azure__SignalR__Endpoints__east__tertiary: cs('e') }, 'Azure__SignalR__Endpoints__east__tertiary', /'tertiary'.*'primary' or 'secondary'/],
    ['an identity sub-key', { 'Azure:SignalR:Endpoints:east:serviceUri': 'https://e.example.com' }, 'Azure:SignalR:Endpoints:east:serviceUri', /AuthType/],
    ['too many parts', { Azure__SignalR__Endpoints__east__primary__x: cs('e') }, 'Azure__SignalR__Endpoints__east__primary__x', /too many parts/],
    ['no name', { Azure__SignalR__Endpoints____primary: cs('e') }, 'Azure__SignalR__Endpoints____primary', /names no endpoint/],
    ['a value on the section itself', { Azure__SignalR__Endpoints: cs('e') }, 'Azure__SignalR__Endpoints', /names no endpoint/],
    ['an empty value', { Azure__SignalR__Endpoints__east: ' ' }, 'Azure__SignalR__Endpoints__east', /is empty/],
    ['a bad connection string', { Azure__SignalR__Endpoints__east: `Endpoint=https://e.example.com;AccessKey=${KEY};Port=99999` }, 'Azure__SignalR__Endpoints__east', /Port/],
    ['only secondaries', { Azure__SignalR__Endpoints__east__secondary: cs('e') }, 'Azure__SignalR__Endpoints__east__secondary', /no primary endpoint/],
  ])('%s is a ConfigError naming the setting, never the key', (_what, env, setting, message) => {
    const error = configErrorOf(env);
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(`'${setting}'`);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(KEY);
  });

  test('two keys for one name and type are refused, naming both', () => {
    for (const env of [
      { Azure__SignalR__Endpoints__east: cs('a'), Azure__SignalR__Endpoints__east__primary: cs('b') },
      { Azure__SignalR__Endpoints__East: cs('a'), 'Azure:SignalR:Endpoints:east': cs('b') },
    ]) {
      const error = configErrorOf(env);
      const [first, second] = Object.keys(env).sort();
      expect(error.message).toContain(`'${first}'`);
      expect(error.message).toContain(`'${second}'`);
    }
  });

  test('one instance listed twice is refused, naming both settings and the URL, never the key', () => {
    const error = configErrorOf({ [SETTING]: cs('same'), Azure__SignalR__Endpoints__east__secondary: cs('same'), Azure__SignalR__Endpoints__west: cs('west') });
    expect(error.setting).toBe('Azure__SignalR__Endpoints__east__secondary');
    expect(error.message).toContain(`'${SETTING}'`);
    expect(error.message).toContain('https://same.example.com');
    expect(error.message).toMatch(/twice/);
    expect(error.message).not.toContain(KEY);
    // The same instance reached through a ServerEndpoint counts too.
    const viaServer = configErrorOf({ Azure__SignalR__Endpoints__a: cs('a'), Azure__SignalR__Endpoints__b: cs('b', 'ServerEndpoint=https://a.example.com;') });
    expect(viaServer.setting).toBe('Azure__SignalR__Endpoints__b');
  });

  test('the section name is the official one', () => {
    expect(ENDPOINTS_SECTION).toBe('Azure:SignalR:Endpoints');
  });
});

describe('health interval setting', () => {
  test('default, decimals, and a ConfigError naming the setting for anything else', () => {
    expect(readHealthIntervalMs({})).toBe(DEFAULT_HEALTH_INTERVAL_SECONDS * 1000);
    expect(readHealthIntervalMs({ [HEALTH_INTERVAL_SETTING]: ' 0.5 ' })).toBe(500);
    expect(readHealthIntervalMs({ [HEALTH_INTERVAL_SETTING]: '120' })).toBe(120_000);
    for (const bad of ['0', '-1', 'soon', '1e3', '3601', '0.05']) {
      expect(() => readHealthIntervalMs({ [HEALTH_INTERVAL_SETTING]: bad })).toThrow(ConfigError);
      expect(() => readHealthIntervalMs({ [HEALTH_INTERVAL_SETTING]: bad })).toThrow(`'${HEALTH_INTERVAL_SETTING}'`);
    }
  });
});
