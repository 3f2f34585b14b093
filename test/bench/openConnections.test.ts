import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openConnections } from '../../bench/lib/httpPost';

describe('openConnections (the capacity callers pre-opened before a sweep)', () => {
  let server: http.Server;
  let accepted = 0;
  let url = '';

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end());
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => accepted++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('opens count distinct connections even when they are opened a batch at a time, and leaves them all pooled', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40, maxFreeSockets: 40 });
    try {
      accepted = 0;
      await openConnections(agent, url, 40, 8);
      expect(accepted).toBe(40);
      const pooled = Object.values(agent.freeSockets).reduce((sum, sockets) => sum + (sockets?.length ?? 0), 0);
      expect(pooled).toBe(40);
    } finally {
      agent.destroy();
    }
  });
});
