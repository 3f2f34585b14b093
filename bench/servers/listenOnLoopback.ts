/**
 * Starts a bench server on a free loopback port, and closes it at once when asked: open keep-alive
 * connections are cut (a round is over; nothing waits for idle clients) after `beforeClose` has run.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningServer {
  url: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(server: http.Server, beforeClose: () => void = () => undefined): Promise<ListeningServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        beforeClose();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
