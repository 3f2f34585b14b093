/**
 * Child-process entry for every measured server (see bench/lib/childServer.ts):
 * `node serve.js <kind> <json config>`. Reports `{type: 'ready', info}` over IPC, then answers
 * requests: `memory` (process.memoryUsage() after a full GC), `cpu` (microseconds used so far), `loop` (event-loop delay p99/max in
 * ms since the last `loop`), `connections`, `close`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startPlainJsonServer } from './plainJson';
import { startPlainAppServer } from './plainApp';
import { startPlainHubServer } from './plainHub';
import { startPlainUpstreamServer } from './plainUpstream';
import { startDelayProxy } from './delayProxy';
import { startOurEmulator, startOurLocalHost } from './ours';

interface Running {
  info: Record<string, string | number>;
  connections?: () => number;
  close(): Promise<void>;
}

type Starter = (config: Record<string, unknown>) => Promise<Running>;

const kinds: Record<string, Starter> = {
  'plain-json': async (config) => {
    const server = await startPlainJsonServer(Number(config.bodyLength ?? 100));
    return { info: { url: server.url }, close: server.close };
  },
  'plain-hub': async () => {
    const server = await startPlainHubServer();
    return { info: { url: server.url }, connections: server.connectionCount, close: server.close };
  },
  'plain-upstream': async () => {
    const server = await startPlainUpstreamServer();
    return { info: { url: server.url }, close: server.close };
  },
  'plain-app': async (config) => {
    const server = await startPlainAppServer(String(config.hubUrl), String(config.hub));
    return { info: { url: server.url }, close: server.close };
  },
  'delay-proxy': async (config) => {
    const upstreams = Array.isArray(config.upstreams) ? config.upstreams.map(String) : [];
    const proxy = await startDelayProxy(upstreams, Number(config.oneWayDelayMs ?? 0));
    return { info: Object.fromEntries(proxy.urls.map((url, i) => [`url${i}`, url])), close: proxy.close };
  },
  emulator: startOurEmulator,
  localhost: startOurLocalHost,
};

interface RequestMessage {
  type: 'request';
  id: number;
  command: string;
}

function isRequest(message: unknown): message is RequestMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'request';
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first pass can leave finalizer-held objects for the second.
  gc?.();
  gc?.();
}

async function main(): Promise<void> {
  const [kind, configText] = process.argv.slice(2);
  const start = kinds[kind];
  if (!start) throw new Error(`unknown server kind '${kind}'`);
  const running = await start(JSON.parse(configText ?? '{}') as Record<string, unknown>);

  // Event-loop delay since the last `loop` request: shows whether a slow message waited on this process.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  process.on('message', (message) => {
    if (!isRequest(message)) return;
    const reply = (result?: unknown, error?: string): void => {
      process.send?.({ type: 'reply', id: message.id, result, error });
    };
    switch (message.command) {
      case 'memory':
        // The parts of RSS after a full GC: V8's heap (reserved and used), memory outside it (Buffers, native).
        fullGc();
        reply(process.memoryUsage());
        break;
      case 'cpu': {
        // User + system CPU time of this process in microseconds: work per request, robust to a busy machine.
        const usage = process.cpuUsage();
        reply(usage.user + usage.system);
        break;
      }
      case 'loop':
        reply({ p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 });
        loopDelay.reset();
        break;
      case 'connections':
        reply(running.connections?.() ?? -1);
        break;
      case 'close':
        running.close().then(
          () => {
            reply(true);
            // Leave through a normal exit so --cpu-prof writes its profile.
            setImmediate(() => process.exit(0));
          },
          (error: unknown) => reply(undefined, String(error)),
        );
        break;
      default:
        reply(undefined, `unknown command ${message.command}`);
    }
  });
  // The parent died: do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', info: running.info });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
