import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describeStart, parseArgs, UsageError } from '../../src/emulator/cli';
import { startEmulator } from '../../src/emulator';

// All of src/, in case emulator modules import shared code from outside src/emulator.
const SOURCE_DIR = path.resolve(__dirname, '../../src');
const NODE_MODULES = path.resolve(__dirname, '../../node_modules');
let buildDir = '';

/** Transpiles the emulator sources once so the child process starts like the built package command. */
function transpileEmulator(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) transpileEmulator(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
        fileName: source,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
    }
  }
}

beforeAll(() => {
  buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'signalr-emulator-cli-'));
  transpileEmulator(SOURCE_DIR, buildDir);
});
afterAll(() => {
  fs.rmSync(buildDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string> = {}): Run {
  // NODE_PATH lets the transpiled copy outside the project find the project's packages.
  const child = spawn(process.execPath, [path.join(buildDir, 'emulator', 'cli.js'), ...args], {
    env: { ...process.env, NODE_PATH: NODE_MODULES, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: Run, text: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!run.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`CLI did not print '${text}'; output so far:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('emulator CLI arguments', () => {
  it('parses --port/--host in both forms and validates them', () => {
    expect(parseArgs([])).toEqual({ port: 8888, host: '127.0.0.1', verbose: false, help: false });
    expect(parseArgs(['--port', '0', '--host=localhost', '--verbose'])).toEqual({ port: 0, host: 'localhost', verbose: true, help: false });
    expect(parseArgs(['--help']).help).toBe(true);
    expect(() => parseArgs(['--port', 'abc'])).toThrow(UsageError);
    expect(() => parseArgs(['--port', '70000'])).toThrow(/0 to 65535/);
    expect(() => parseArgs(['--port'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--host', 'a b'])).toThrow(/--host/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown argument/);
  });

  it('prints the well-known key but masks a custom one', async () => {
    const custom = await startEmulator({ port: 0, accessKey: 'my-private-key-my-private-key-0123456789' });
    try {
      const masked = describeStart(custom, true);
      expect(masked).not.toContain('my-private-key');
      expect(masked).toContain('AccessKey=<value of SIGNALR_EMULATOR_ACCESS_KEY>');
      expect(masked).toContain(custom.url);
    } finally {
      await custom.close();
    }
    const standard = await startEmulator({ port: 0 });
    try {
      const banner = describeStart(standard, false);
      expect(banner).toContain(standard.connectionString);
      // The Dapr form on the line after its label.
      const lines = banner.split('\n');
      const label = lines.findIndex((line) => line.includes("for Dapr's bindings.azure.signalr"));
      expect(lines[label + 1]?.trim()).toBe(standard.connectionStringPortInEndpoint);
    } finally {
      await standard.close();
    }
  });
});

describe('emulator CLI process', () => {
  it('starts, serves, and exits 0 on SIGINT', async () => {
    const run = runCli(['--port', '0']);
    await waitForOutput(run, 'Press Ctrl+C');
    const url = /listening on (http:\/\/\S+)/.exec(run.output())?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.output()).toContain('AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH');
    const health = await fetch(`${url}/api/health`, { method: 'HEAD' });
    expect(health.status).toBe(200);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('exits 0 on SIGTERM and never prints a custom key', async () => {
    const run = runCli(['--port=0'], { SIGNALR_EMULATOR_ACCESS_KEY: 'super-secret-emulator-key-0123456789abcd' });
    await waitForOutput(run, 'Press Ctrl+C');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toContain('super-secret');
    expect(run.output()).toContain('<value of SIGNALR_EMULATOR_ACCESS_KEY>');
  });

  it('explains a bad flag (exit 2) and a port in use (exit 1)', async () => {
    const bad = runCli(['--port', 'x']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain("--port must be an integer from 0 to 65535, got 'x'");
    expect(bad.output()).toContain('Usage: signalr-emulator');

    const busy = await startEmulator({ port: 0 });
    try {
      const clash = runCli(['--port', String(busy.port)]);
      expect(await clash.exited).toBe(1);
      expect(clash.output()).toContain(`port ${busy.port} is already in use on 127.0.0.1`);
    } finally {
      await busy.close();
    }
  });
});
