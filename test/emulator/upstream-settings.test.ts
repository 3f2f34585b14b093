import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommand, UsageError } from '../../src/emulator/cliArguments';
import { expandUrlTemplate, matchTemplate, parseUpstreamSettings, UpstreamSettingsError, type UpstreamTemplate } from '../../src/emulator/upstream/settings';
import { readSettingsFile, UpstreamSettingsSource, writeStarterSettings } from '../../src/emulator/upstream/settingsSource';
import { eventually } from './client-harness';

const template = (url: string, hub = '*', category = '*', event = '*'): UpstreamTemplate => ({ urlTemplate: url, hubPattern: hub, categoryPattern: category, eventPattern: event });

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'upstream-settings-'));
}

describe('settings.json', () => {
  it('reads the official form, keys in any case, patterns defaulting to *', () => {
    const settings = parseUpstreamSettings({ upstreamsettings: { templates: [{ urltemplate: 'http://localhost:7071/api/{hub}', hubPattern: 'chat, news' }] } }, 'settings.json');
    expect(settings.templates).toEqual([template('http://localhost:7071/api/{hub}', 'chat, news')]);
    expect(parseUpstreamSettings({}, 'settings.json').templates).toEqual([]);
  });

  it.each([
    [[], /must be a JSON object/],
    [{ UpstreamSettings: [] }, /UpstreamSettings must be an object/],
    [{ UpstreamSettings: { Templates: {} } }, /Templates must be an array/],
    [{ UpstreamSettings: { Templates: [{}] } }, /Templates\[0\]: UrlTemplate is required/],
    [{ UpstreamSettings: { Templates: [{ UrlTemplate: 'localhost:7071' }] } }, /must use http or https|is not an absolute URL/],
    [{ UpstreamSettings: { Templates: [{ UrlTemplate: 'http://x', EventPattern: 3 }] } }, /EventPattern must be/],
  ])('refuses %j with a message naming the file and field', (json, message) => {
    expect(() => parseUpstreamSettings(json, 'my.json')).toThrow(UpstreamSettingsError);
    expect(() => parseUpstreamSettings(json, 'my.json')).toThrow(message);
  });

  it('matches the first template whose three patterns match, names and lists ignoring case', () => {
    const templates = [template('http://a', 'news'), template('http://b', '*', 'connections', 'Connected,disconnected'), template('http://c')];
    expect(matchTemplate(templates, 'NEWS', 'messages', 'x')?.urlTemplate).toBe('http://a');
    expect(matchTemplate(templates, 'chat', 'connections', 'connected')?.urlTemplate).toBe('http://b');
    expect(matchTemplate(templates, 'chat', 'messages', 'x')?.urlTemplate).toBe('http://c');
    expect(matchTemplate(templates.slice(0, 2), 'chat', 'messages', 'x')).toBeUndefined();
  });

  it('expands the placeholders percent-encoded', () => {
    expect(expandUrlTemplate('http://h/api/{hub}/{category}/{event}?x={EVENT}', { hub: 'chat', category: 'messages', event: 'a b/c' }))
      .toBe('http://h/api/chat/messages/a%20b%2Fc?x=a%20b%2Fc');
  });
});

describe('the settings file', () => {
  it('upstream init writes the starter file, and never overwrites one without --force', () => {
    const dir = tempDir();
    const file = writeStarterSettings(dir, false);
    expect(readSettingsFile(file)).toEqual([template('http://localhost:7071/api/signalr/upstream')]);
    fs.writeFileSync(file, '{"UpstreamSettings":{"Templates":[]}}');
    expect(() => writeStarterSettings(dir, false)).toThrow(/already exists; pass --force/);
    expect(readSettingsFile(file)).toEqual([]);
    writeStarterSettings(dir, true);
    expect(readSettingsFile(file)).toHaveLength(1);
  });

  it('is reloaded when it changes; a broken edit keeps the last good templates and says why', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ UpstreamSettings: { Templates: [{ UrlTemplate: 'http://first' }] } }));
    const logs: string[] = [];
    const source = new UpstreamSettingsSource({ file, extraTemplates: [template('http://flag')], log: (l) => logs.push(l), watchIntervalMs: 20 });
    source.watch();
    try {
      expect(source.templates().map((t) => t.urlTemplate)).toEqual(['http://first', 'http://flag']);
      fs.writeFileSync(file, JSON.stringify({ UpstreamSettings: { Templates: [{ UrlTemplate: 'http://second/{hub}' }] } }));
      await eventually(() => source.templates()[0]?.urlTemplate === 'http://second/{hub}', 'the reload');
      expect(logs.at(-1)).toMatch(/reloaded from .*settings.json: \[0\] http:\/\/second\/\{hub\}/);
      fs.writeFileSync(file, '{ not json');
      await eventually(() => logs.some((l) => l.includes('were not reloaded')), 'the refusal');
      expect(source.templates()[0]?.urlTemplate).toBe('http://second/{hub}');
    } finally {
      source.close();
    }
  });
});

describe('emulator command line', () => {
  it('start takes --config (a file or a folder), several --upstream and --upstream-timeout', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'settings.json'), '{}');
    const command = parseCommand(['--config', dir, '--upstream', 'http://a/{event}', '--upstream', 'http://b', '--upstream-timeout', '2.5'], '/nowhere');
    expect(command).toEqual({ kind: 'start', options: expect.objectContaining({ config: path.join(dir, 'settings.json'), upstreamUrls: ['http://a/{event}', 'http://b'], upstreamTimeoutMs: 2500 }) });
  });

  it('start uses ./settings.json when it exists, and nothing otherwise', () => {
    const dir = tempDir();
    expect(parseCommand([], dir)).toEqual({ kind: 'start', options: expect.not.objectContaining({ config: expect.anything() }) });
    fs.writeFileSync(path.join(dir, 'settings.json'), '{}');
    expect(parseCommand(['start'], dir)).toEqual({ kind: 'start', options: expect.objectContaining({ config: path.join(dir, 'settings.json') }) });
  });

  it('upstream init and list', () => {
    expect(parseCommand(['upstream', 'init', '-o', 'conf', '--force'], '/base')).toEqual({ kind: 'upstreamInit', folder: path.resolve('/base', 'conf'), force: true });
    expect(parseCommand(['upstream', 'list'], tempDir())).toEqual({ kind: 'upstreamList', config: undefined });
  });

  it.each([
    [['--config', '/no/such/file.json'], /does not exist/],
    [['--upstream-timeout', '0'], /--upstream-timeout must be/],
    [['upstream'], /needs 'init' or 'list'/],
    [['upstream', 'delete'], /unknown upstream command 'delete'/],
    [['launch'], /unknown argument 'launch'/],
    [['--output', 'x'], /belong to 'upstream init'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv, tempDir())).toThrow(UsageError);
    expect(() => parseCommand(argv, tempDir())).toThrow(message);
  });
});
