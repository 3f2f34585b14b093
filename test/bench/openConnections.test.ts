import http from 'node:http';
import { openConnections } from '../../bench/lib/httpPost';
import { listenOnLoopback, type ListeningServer } from '../../bench/servers/listenOnLoopback';

describe('openConnections (the capacity callers pre-opened before a sweep)', () => {
  let server: ListeningServer;
  let accepted = 0;

  beforeAll(async () => {
    const plain = http.createServer((_req, res) => res.end());
    plain.keepAliveTimeout = 60_000;
    plain.on('connection', () => accepted++);
    server = await listenOnLoopback(plain);
  });

  afterAll(() => server.close());

  it('opens count distinct connections even when they are opened a batch at a time, and leaves them all pooled', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40, maxFreeSockets: 40 });
    try {
      accepted = 0;
      await openConnections(agent, server.url, 40, 8);
      expect(accepted).toBe(40);
      const pooled = Object.values(agent.freeSockets).reduce((sum, sockets) => sum + (sockets?.length ?? 0), 0);
      expect(pooled).toBe(40);
    } finally {
      agent.destroy();
    }
  });
});
