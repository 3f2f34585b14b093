import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  applyValuesToEnvironment,
  ensureLocalSettingsFile,
  loadLocalSettings,
  readLocalSettings,
  SettingsError,
} from '../../src/localhost/settings';

describe('local.settings.json', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localhost-settings-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: unknown): void =>
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));

  test('is created from the example when missing, then loaded into the environment', () => {
    write('local.settings.json.example', { Values: { A_SETTING: 'from example', NUM: 3, FLAG: true }, Host: { LocalHttpPort: 7075, CORS: 'http://a.example, http://b.example', CORSCredentials: true } });
    const env: NodeJS.ProcessEnv = {};
    const result = loadLocalSettings(dir, env);
    expect(result.created).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'local.settings.json'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'local.settings.json.example'), 'utf8'));
    expect(env).toEqual({ A_SETTING: 'from example', NUM: '3', FLAG: 'true' });
    expect(result.host).toEqual({ localHttpPort: 7075, corsOrigins: ['http://a.example', 'http://b.example'], corsCredentials: true });

    // Second run: the file exists, nothing is created again.
    expect(loadLocalSettings(dir, {}).created).toBe(false);
  });

  test('never overwrites an existing file', () => {
    write('local.settings.json.example', { Values: { X: 'example' } });
    write('local.settings.json', { Values: { X: 'mine' } });
    expect(ensureLocalSettingsFile(dir).created).toBe(false);
    expect(readLocalSettings(path.join(dir, 'local.settings.json')).values).toEqual({ X: 'mine' });
  });

  test('without file or example, defaults apply', () => {
    const ensured = ensureLocalSettingsFile(dir);
    expect(ensured).toMatchObject({ created: false, missing: true });
    expect(readLocalSettings(ensured.file)).toMatchObject({ values: {}, host: { corsOrigins: [], corsCredentials: false } });
  });

  test('variables already in the environment are not overridden', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'from environment' };
    const applied = applyValuesToEnvironment({ KEEP: 'from file', NEW: 'from file' }, env);
    expect(applied).toEqual(['NEW']);
    expect(env).toEqual({ KEEP: 'from environment', NEW: 'from file' });
  });

  test('invalid JSON is an error naming the file', () => {
    write('local.settings.json', '{ "Values": { "A": "b", } ');
    const file = path.join(dir, 'local.settings.json');
    expect(() => readLocalSettings(file)).toThrow(SettingsError);
    expect(() => readLocalSettings(file)).toThrow(`${file} is not valid JSON`);
  });

  test.each([
    [{ Values: { A: { nested: 1 } } }, 'Values.A must be a string'],
    [{ Values: [] }, '"Values" must be an object'],
    [{ Host: { LocalHttpPort: 'abc' } }, 'Host.LocalHttpPort must be a port number'],
    [{ Host: { LocalHttpPort: 70000 } }, 'Host.LocalHttpPort must be a port number'],
    [{ Host: { CORS: ['*'] } }, 'Host.CORS must be a string'],
    [{ Host: { CORSCredentials: 'yes' } }, 'Host.CORSCredentials must be true or false'],
    [{ Host: { CORS: '*', CORSCredentials: true } }, 'Host.CORSCredentials cannot be true while Host.CORS is "*"'],
    [{ IsEncrypted: true, Values: {} }, 'is encrypted'],
    [[1, 2], 'must contain a JSON object'],
  ])('%j is rejected: %s', (content, message) => {
    write('local.settings.json', content);
    expect(() => readLocalSettings(path.join(dir, 'local.settings.json'))).toThrow(message);
  });

  test('the repository example parses and points at the local emulator', () => {
    const example = path.join(__dirname, '..', '..', 'local.settings.json.example');
    const settings = readLocalSettings(example);
    expect(settings.values.AzureSignalRConnectionString).toMatch(/^Endpoint=http:\/\/localhost;Port=\d+;AccessKey=/);
    expect(settings.host.localHttpPort).toBe(7071);
  });
});
