/**
 * `npm start`'s entry (src/localhost/start.ts) as a real child process, run from the TypeScript sources
 * through test/fixtures/localhost/tsRegister.js, on a temporary copy of the fixture app so the
 * developer's own local.settings.json is never touched.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

const repoRoot = path.join(__dirname, '..', '..');
const fixtureApp = path.join(repoRoot, 'test', 'fixtures', 'localhost', 'app');
const tsRegister = path.join(repoRoot, 'test', 'fixtures', 'localhost', 'tsRegister.js');
const startScript = path.join(repoRoot, 'src', 'localhost', 'start.ts');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A copy of the fixture app in a temp dir; node_modules is linked so `@azure/functions` resolves. */
function makeProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localhost-start-'));
  fs.cpSync(fixtureApp, dir, { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AzureSignalRConnectionString', 'PORT', 'FUNCTIONS_HTTP_PORT', 'FIXTURE_GREETING', 'FUNCTIONS_PROJECT_ROOT']) delete env[name];
  return { ...env, ...extra };
}

function runStart(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['-r', tsRegister, startScript, ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { output: () => Finished; finished: Promise<Finished> } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const output = (): Finished => ({ code: child.exitCode, stdout, stderr });
  const finished = new Promise<Finished>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { output, finished };
}

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const found = pattern.exec(seen);
      if (found) {
        child.stdout?.off('data', onData);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.once('close', () => reject(new Error(`exited before printing ${pattern}: ${seen}`)));
  });
}

/** A server that is not a SignalR emulator (answers everything with 404). */
async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function freePort(): Promise<number> {
  const busy = await occupyPort();
  await busy.close();
  return busy.port;
}

describe('npm start (src/localhost/start.ts)', () => {
  const projects: string[] = [];
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of projects.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  const project = (): string => {
    const dir = makeProject();
    projects.push(dir);
    return dir;
  };

  test('a busy HTTP port is one clear line on stderr and exit code 1', async () => {
    const busy = await occupyPort();
    try {
      const dir = project();
      const child = runStart(['--project-root', dir, '--port', String(busy.port), '--no-emulator', '--no-func']);
      children.push(child);
      const result = await collect(child).finished;
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toEqual([`Error: port ${busy.port} is already in use. Stop the program using it or choose another port with --port <n>.`]);
      // The settings file was created in the temp project, and said so.
      expect(result.stdout).toContain('Created local.settings.json from local.settings.json.example.');
      expect(fs.existsSync(path.join(dir, 'local.settings.json'))).toBe(true);
    } finally {
      await busy.close();
    }
  });

  test('an emulator port taken by something else is one line, exit code 1, and the AccessKey stays hidden', async () => {
    const busy = await occupyPort();
    try {
      const dir = project();
      const accessKey = 'SECRETKEYSECRETKEYSECRETKEYSECRETKEY0123456';
      fs.writeFileSync(
        path.join(dir, 'local.settings.json'),
        JSON.stringify({ Values: { AzureSignalRConnectionString: `Endpoint=http://localhost;Port=${busy.port};AccessKey=${accessKey};Version=1.0;` } }),
      );
      const child = runStart(['--project-root', dir, '--port', '0', '--no-func']);
      children.push(child);
      const result = await collect(child).finished;
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Port ${busy.port} (from AzureSignalRConnectionString) is in use by a program that is not the SignalR emulator`);
      expect(result.stdout + result.stderr).not.toContain(accessKey);
    } finally {
      await busy.close();
    }
  });

  test('invalid local.settings.json is one line naming the file, exit code 1', async () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'local.settings.json'), '{ not json');
    const child = runStart(['--project-root', dir, '--port', '0', '--no-emulator', '--no-func']);
    children.push(child);
    const result = await collect(child).finished;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`${path.join(dir, 'local.settings.json')} is not valid JSON`);
  });

  test('serves the app with settings applied, starts the emulator, masks the key, and exits 0 on SIGINT', async () => {
    const dir = project();
    const emulatorPort = await freePort();
    const accessKey = 'LOCALKEYLOCALKEYLOCALKEYLOCALKEYLOCALKEY123';
    fs.writeFileSync(
      path.join(dir, 'local.settings.json'),
      JSON.stringify({
        Values: {
          FIXTURE_GREETING: 'from the settings file',
          AzureSignalRConnectionString: `Endpoint=http://localhost;Port=${emulatorPort};AccessKey=${accessKey};Version=1.0;`,
        },
        Host: { CORS: 'http://page.example' },
      }),
    );
    const child = runStart(['--project-root', dir, '--port', '0', '--no-func']);
    children.push(child);
    const { output, finished } = collect(child);
    const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const response = await fetch(`${url}/fx/context`, { headers: { origin: 'http://page.example' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { greeting: string }).greeting).toBe('from the settings file');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://page.example');

    const health = await fetch(`http://127.0.0.1:${emulatorPort}/api/health`, { method: 'HEAD' });
    expect(health.status).toBe(200);

    const printed = output().stdout;
    expect(printed).toContain(`AzureSignalRConnectionString: Endpoint=http://localhost:${emulatorPort};AccessKey=***;Version=1.0;\n  (port inside Endpoint: use this form, with your AccessKey, for Dapr's bindings.azure.signalr)`);
    expect(printed).toMatch(/AccessKey=\*\*\*/);
    expect(printed).toMatch(/Open http:\/\/localhost:\d+\/fx\/chat\//);
    expect(printed).not.toContain(accessKey);

    child.kill('SIGINT');
    const result = await finished;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain(accessKey);
  });

  test('--endpoints 3 starts three emulators, gives the app their settings, prints them with the keys masked', async () => {
    const dir = project();
    const child = runStart(['--project-root', dir, '--port', '0', '--no-func', '--endpoints', '3']);
    children.push(child);
    const { output, finished } = collect(child);
    const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const seen = (await (await fetch(`${url}/fx/signalr-settings`)).json()) as { connectionString: string | null; endpoints: Record<string, string> };
    expect(seen.connectionString).toBe('');
    expect(Object.keys(seen.endpoints).sort()).toEqual(['Azure__SignalR__Endpoints__local1', 'Azure__SignalR__Endpoints__local2', 'Azure__SignalR__Endpoints__local3']);
    const keys = Object.values(seen.endpoints).map((value) => /AccessKey=([^;]+)/.exec(value)![1]!);
    expect(new Set(keys).size).toBe(3);
    const portOf = (value: string): number => Number(/Endpoint=http:\/\/127\.0\.0\.1:(\d+);/.exec(value)![1]);
    const ports = Object.values(seen.endpoints).map(portOf);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/api/health`, { method: 'HEAD' })).status).toBe(200);

    const printed = output().stdout;
    expect(printed).toContain('SignalR emulators as 3 endpoints (AzureSignalRConnectionString left empty):');
    expect(printed).toMatch(/SignalR emulators started on ports \d+, \d+, \d+/);
    for (const [name, port] of Object.keys(seen.endpoints).sort().map((n) => [n, portOf(seen.endpoints[n]!)] as const)) {
      expect(printed).toContain(`  ${name}: Endpoint=http://127.0.0.1:${port};AccessKey=***;Version=1.0;`);
    }
    for (const key of keys) expect(printed + output().stderr).not.toContain(key);

    child.kill('SIGINT');
    expect((await finished).code).toBe(0);
    for (const port of ports) await expect(fetch(`http://127.0.0.1:${port}/api/health`, { method: 'HEAD' })).rejects.toThrow();
  });

  test('--endpoints refuses endpoint settings already in local.settings.json, naming them', async () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { Azure__SignalR__Endpoints__mine: 'Endpoint=http://x;AccessKey=SECRETSECRETSECRETSECRET;Version=1.0;' } }));
    const child = runStart(['--project-root', dir, '--port', '0', '--no-func', '--endpoints', '2']);
    children.push(child);
    const result = await collect(child).finished;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Error: --endpoints sets the endpoint settings itself; remove Azure__SignalR__Endpoints__mine from local.settings.json or the environment.']);
    expect(result.stdout + result.stderr).not.toContain('SECRETSECRET');
  });

  test('variables set in the environment win over local.settings.json', async () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { FIXTURE_GREETING: 'from file' } }));
    const child = runStart(['--project-root', dir, '--no-emulator', '--no-func'], { FUNCTIONS_HTTP_PORT: '0', FIXTURE_GREETING: 'from env' });
    children.push(child);
    const { finished } = collect(child);
    const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const body = (await (await fetch(`${url}/fx/context`)).json()) as { greeting: string };
    expect(body.greeting).toBe('from env');
    child.kill('SIGTERM');
    expect((await finished).code).toBe(0);
  });

  /**
   * Azure Functions Core Tools cannot be installed here (their install downloads a binary), so a stand-in
   * `func` on PATH plays them: it answers `--version` and, for `start`, reports what it was asked to do and
   * waits for Ctrl-C, as the real one does. What is tested is our side: detection, the command line, the
   * forwarding of Ctrl-C and the exit code.
   */
  function fakeCoreTools(behaviour: 'works' | 'broken'): string {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-func-'));
    projects.push(bin);
    const script = behaviour === 'works'
      ? `#!${process.execPath}
if (process.argv[2] === '--version') { console.log('4.0.9999'); process.exit(0); }
// The handler before the banner: the test sends Ctrl-C as soon as it reads the banner.
process.on('SIGINT', () => { console.log('fake func stopped'); process.exit(0); });
console.log('FAKE FUNC ' + process.argv.slice(2).join(' ') + ' in ' + process.cwd());
setInterval(() => undefined, 1000);
`
      : `#!${process.execPath}
console.error('Core Tools download failed: no such file'); process.exit(1);
`;
    fs.writeFileSync(path.join(bin, 'func'), script, { mode: 0o755 });
    return bin;
  }

  test('with working Core Tools on PATH, npm start runs "func start" on the port and forwards Ctrl-C', async () => {
    const dir = project();
    const bin = fakeCoreTools('works');
    const port = await freePort();
    const child = runStart(['--project-root', dir, '--port', String(port), '--no-emulator'], { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
    children.push(child);
    const { finished } = collect(child);
    await waitForOutput(child, /FAKE FUNC .*\n/);
    child.kill('SIGINT');
    const result = await finished;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Azure Functions Core Tools 4.0.9999 found: running "func start".');
    expect(result.stdout).toContain(`FAKE FUNC start --port ${port} in ${fs.realpathSync(dir)}`);
    expect(result.stdout).toContain('fake func stopped');
    expect(result.stdout).not.toContain('Local functions host');
  });

  test('a func that cannot even print its version is ignored: our local host serves instead', async () => {
    const dir = project();
    const bin = fakeCoreTools('broken');
    const child = runStart(['--project-root', dir, '--port', '0', '--no-emulator'], { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
    children.push(child);
    const { finished } = collect(child);
    const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect((await fetch(`${url}/fx/context`)).status).toBe(200);
    child.kill('SIGINT');
    const result = await finished;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Local functions host (Core Tools not available)');
  });
});
