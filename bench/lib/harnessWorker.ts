/**
 * Runs a HubHarness in a worker thread, so that counting records (the harness's hot path) has its own
 * event loop and does not delay the REST driver in the main thread. Times cross the thread boundary as
 * epoch milliseconds (performance.timeOrigin + performance.now()), which both threads share.
 */
import { parentPort, workerData, Worker } from 'node:worker_threads';
import path from 'node:path';
import { HubHarness, type HarnessConfig } from './hubHarness';

type Command =
  | { id: number; cmd: 'connect' }
  | { id: number; cmd: 'reset' }
  | { id: number; cmd: 'wait'; target: number; timeoutMs: number }
  | { id: number; cmd: 'close' };

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

if (parentPort && workerData && (workerData as { harnessWorker?: boolean }).harnessWorker) {
  const port = parentPort;
  const harness = new HubHarness((workerData as { config: HarnessConfig }).config);
  port.on('message', (command: Command) => {
    const reply = (result?: unknown, error?: string): void => port.postMessage({ id: command.id, result, error } satisfies Reply);
    const run = async (): Promise<unknown> => {
      switch (command.cmd) {
        case 'connect':
          await harness.connectAll();
          return harness.connectionIds;
        case 'reset':
          harness.resetCount();
          return true;
        case 'wait': {
          const count = await harness.waitForCount(command.target, command.timeoutMs);
          return { count, lastReceipt: performance.timeOrigin + harness.lastReceipt, dropped: harness.dropped };
        }
        case 'close':
          await harness.close();
          return true;
      }
    };
    run().then(
      (result) => reply(result),
      (error: unknown) => reply(undefined, error instanceof Error ? error.message : String(error)),
    );
  });
}

/** Main-thread handle on a harness running in a worker. */
export class RemoteHarness {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(config: HarnessConfig) {
    this.worker = new Worker(path.join(__dirname, 'harnessWorker.js'), { workerData: { harnessWorker: true, config } });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    this.worker.on('error', (error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  private call(command: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...command, id });
    });
  }

  async connect(): Promise<string[]> {
    return (await this.call({ cmd: 'connect' })) as string[];
  }

  async reset(): Promise<void> {
    await this.call({ cmd: 'reset' });
  }

  /** Waits until `target` records arrived (or a client was dropped, or the timeout); returns the count, the epoch ms of the last one, and the dropped clients. */
  async wait(target: number, timeoutMs: number): Promise<{ count: number; lastReceipt: number; dropped: number }> {
    return (await this.call({ cmd: 'wait', target, timeoutMs })) as { count: number; lastReceipt: number; dropped: number };
  }

  async close(): Promise<void> {
    try {
      await this.call({ cmd: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }
}
