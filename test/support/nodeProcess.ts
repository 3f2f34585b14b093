/**
 * Runs a compiled entry point (the emulator CLI, the local host) as a real child process, for tests that
 * kill and restart it or that need it outside the test process's file-descriptor budget.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** Builds dist/ once when an entry point is missing (npm run test:load builds it up front). */
export function ensureBuilt(relativeEntry: string): string {
  const entry = path.join(repoRoot, relativeEntry);
  if (!fs.existsSync(entry)) {
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  }
  return entry;
}

export { freePort } from '../../src/localhost/ports';

/** What test/support/memoryProbe.js reports (bytes). */
export interface MemorySample {
  rss: number;
  /** Heap in use as it was, and after a full garbage collection: what the process retains. */
  heapUsed: number;
  heapRetained: number;
  external: number;
  arrayBuffers: number;
  gcForced: boolean;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Resident memory of the process in bytes, from /proc (Linux). */
  rssBytes(): number;
  /** Its memory as the preloaded probe measures it (only with `memoryProbe: true`). */
  memory(): Promise<MemorySample>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startNodeProcess(options: {
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves once the output matches. */
  ready: RegExp;
  timeoutMs?: number;
  /** Preload test/support/memoryProbe.js (with --expose-gc and an IPC channel) so that memory() works. */
  memoryProbe?: boolean;
}): Promise<RunningProcess> {
  const probe = options.memoryProbe === true ? ['--expose-gc', '--require', path.join(repoRoot, 'test', 'support', 'memoryProbe.js')] : [];
  const child = spawn(process.execPath, [...probe, options.entry, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: options.memoryProbe === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // 'close' comes after 'exit', once the child's stdout and stderr are closed too: until then the pipes hold the
  // test process (a jest worker that still has them when it is told to stop is force-exited).
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const append = (chunk: Buffer): void => {
    // Keep the tail only: a verbose child must not grow the test's memory.
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.entry} not ready in time; output:\n${output}`)), options.timeoutMs ?? 20_000);
    const check = (): void => {
      if (options.ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.entry} exited with ${code} before it was ready; output:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid as number,
    output: () => output,
    rssBytes(): number {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) * 1024 : 0;
    },
    memory(): Promise<MemorySample> {
      return new Promise((resolve, reject) => {
        if (typeof child.send !== 'function') return reject(new Error('the process was started without memoryProbe'));
        const timer = setTimeout(() => reject(new Error('no memory sample within 10 s')), 10_000);
        child.once('message', (sample) => {
          clearTimeout(timer);
          resolve(sample as MemorySample);
        });
        child.send('memory?');
      });
    },
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      await closed;
      return code;
    },
  };
}

/** The emulator CLI on `port` with `accessKey` (given through its environment variable, never argv). */
export function startEmulatorProcess(port: number, accessKey: string, options: { memoryProbe?: boolean } = {}): Promise<RunningProcess> {
  return startNodeProcess({
    entry: ensureBuilt('dist/src/emulator/cli.js'),
    args: ['--port', String(port)],
    env: { SIGNALR_EMULATOR_ACCESS_KEY: accessKey },
    ready: /listening on/,
    ...options,
  });
}
