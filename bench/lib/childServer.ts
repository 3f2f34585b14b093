/**
 * Measured servers run in child processes (bench/servers/serve.ts) so that on a 2-core machine the
 * server has one core and the load generator in the bench process has the other, and so that a
 * server's RSS can be read without the harness's memory mixed in. Every server, ours and baseline,
 * is started this same way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { withTimeout } from '../framework';

export type ServerInfo = Record<string, string | number>;

export interface ChildServer {
  info: ServerInfo;
  pid: number;
  /** Asks the child for a command's answer (e.g. `rss` after a full GC). */
  request(command: string, argument?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

interface ReplyMessage {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}

interface ReadyMessage {
  type: 'ready';
  info: ServerInfo;
}

function isReply(message: unknown): message is ReplyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'reply';
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

export interface StartChildOptions {
  kind: string;
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  execArgv?: string[];
  cwd?: string;
}

export async function startChildServer(options: StartChildOptions): Promise<ChildServer> {
  const script = path.join(__dirname, '..', 'servers', 'serve.js');
  const child: ChildProcess = fork(script, [options.kind, JSON.stringify(options.config ?? {})], {
    // --expose-gc lets the child run a full GC before reporting RSS, so RSS figures are comparable.
    execArgv: ['--expose-gc', ...(options.execArgv ?? []), ...(process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? [])],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', process.env.BENCH_CHILD_STDERR === '1' ? 'pipe' : 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(`[${options.kind}] ${chunk.toString()}`));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    // Diagnosis aid (e.g. with --trace-gc in BENCH_CHILD_FLAGS): show what the servers print (stdout too).
    if (process.env.BENCH_CHILD_STDERR === '1') process.stderr.write(`[${options.kind}] ${chunk.toString()}`);
  });

  const info = await withTimeout(
    new Promise<ServerInfo>((resolve, reject) => {
      child.on('message', (message) => {
        if (isReady(message)) resolve(message.info);
      });
      child.once('exit', (code) => reject(new Error(`server ${options.kind} exited (${code}) before ready: ${stderr.trim()}`)));
      child.once('error', reject);
    }),
    30000,
    `starting server ${options.kind}`,
  );

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (message) => {
    if (!isReply(message)) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`server ${options.kind} exited (${code}): ${stderr.trim()}`));
    pending.clear();
  });

  const request = (command: string, argument?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) {
        reject(new Error(`server ${options.kind} has exited: ${stderr.trim()}`));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ type: 'request', id, command, argument });
    });

  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // A graceful close lets --cpu-prof write its profile.
      await withTimeout(request('close'), 5000, `closing ${options.kind}`);
      await withTimeout(exited, 5000, `exit of ${options.kind}`);
    } catch {
      child.kill('SIGKILL');
      await exited;
    }
  };

  return { info, pid: child.pid ?? -1, request, close };
}

/** process.memoryUsage() of the child after a full GC: where its RSS goes. */
export async function readMemory(server: ChildServer): Promise<NodeJS.MemoryUsage> {
  const usage = await server.request('memory');
  if (typeof usage !== 'object' || usage === null || typeof (usage as { rss?: unknown }).rss !== 'number') throw new Error('child answered memory with something else');
  return usage as NodeJS.MemoryUsage;
}

export async function readCpuMicros(server: ChildServer): Promise<number> {
  const micros = await server.request('cpu');
  if (typeof micros !== 'number') throw new Error('child answered cpu with a non-number');
  return micros;
}
