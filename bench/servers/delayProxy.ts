/**
 * Network distance for the several-endpoints scenario: a TCP proxy per upstream that holds every chunk, both ways,
 * for a fixed time before passing it on (order kept: the delay is the same for every chunk). On loopback a REST
 * call costs CPU and no waiting, so it cannot show whether calls to several instances overlap; over a network,
 * where instances are reached in milliseconds, waiting is most of a call.
 */
import net from 'node:net';

export interface DelayProxy {
  /** One http://127.0.0.1:port per upstream, in order. */
  urls: string[];
  close(): Promise<void>;
}

function delayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), delayMs));
}

export async function startDelayProxy(upstreams: readonly string[], oneWayDelayMs: number): Promise<DelayProxy> {
  const servers = await Promise.all(
    upstreams.map(async (upstream) => {
      const target = new URL(upstream);
      const server = net.createServer((client) => {
        client.setNoDelay(true);
        const service = net.connect(Number(target.port), target.hostname);
        service.setNoDelay(true);
        delayed(client, service, oneWayDelayMs);
        delayed(service, client, oneWayDelayMs);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  return {
    urls: servers.map((server) => `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`),
    close: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
