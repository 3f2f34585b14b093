/**
 * Baseline hub server: `node:http` + a plain `ws` server speaking just enough of the SignalR hub
 * protocol (answer the handshake, then push invocation records). A REST-shaped POST
 * (`/api/hubs/{hub}/:send`, `/groups/{group}/:send`, `/users/{user}/:send`) encodes the record once
 * per protocol and writes the same bytes to every target socket. No auth, no negotiate, no bookkeeping
 * beyond a Set per group/user: the least a hub server can do, for the fan-out, latency and
 * connections scenarios. `POST /client/negotiate` answers fresh ids, so the connections scenario can also
 * measure a plain server with the same hops as a negotiating SignalR client.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { HANDSHAKE_OK, invocationFrame, type HubProtocolName } from '../lib/hubFrames';

export interface PlainHubServer {
  url: string;
  connectionCount(): number;
  close(): Promise<void>;
}

interface Client {
  socket: WebSocket;
  protocol: HubProtocolName | null;
}

const NEGOTIATE_TRANSPORTS = [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }];

const SEND_PATH = /^\/api\/hubs\/([^/]+)(?:\/(groups|users)\/([^/]+))?\/:send$/;

export async function startPlainHubServer(): Promise<PlainHubServer> {
  // Keyed by hub; groups and users by `${hub}\u0000${name}`.
  const hubs = new Map<string, Set<Client>>();
  const groups = new Map<string, Set<Client>>();
  const users = new Map<string, Set<Client>>();
  let connections = 0;

  const join = (index: Map<string, Set<Client>>, key: string | null, client: Client): void => {
    if (!key) return;
    let members = index.get(key);
    if (!members) index.set(key, (members = new Set()));
    members.add(client);
  };
  const leave = (index: Map<string, Set<Client>>, key: string | null, client: Client): void => {
    if (key) index.get(key)?.delete(client);
  };

  const sendTo = (targets: Iterable<Client>, target: string, args: unknown[]): void => {
    const frames: Partial<Record<HubProtocolName, Buffer>> = {};
    for (const client of targets) {
      if (!client.protocol) continue;
      const frame = (frames[client.protocol] ??= invocationFrame(client.protocol, target, args));
      client.socket.send(frame, { binary: client.protocol === 'messagepack' });
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && path === '/client/negotiate') {
        // The least a negotiate can be: fresh ids and the transports, no token check.
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({ negotiateVersion: 1, connectionId: randomUUID(), connectionToken: randomUUID(), availableTransports: NEGOTIATE_TRANSPORTS }),
        );
        return;
      }
      const match = req.method === 'POST' ? SEND_PATH.exec(path) : null;
      if (!match) {
        res.writeHead(404).end();
        return;
      }
      let body: { target?: unknown; arguments?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const target = typeof body.target === 'string' ? body.target : '';
      const args = Array.isArray(body.arguments) ? body.arguments : [];
      const [, hubName, kind, name] = match;
      const hub = decodeURIComponent(hubName).toLowerCase();
      const key = `${hub}\u0000${name === undefined ? '' : decodeURIComponent(name)}`;
      const targets = kind === 'groups' ? groups.get(key) : kind === 'users' ? users.get(key) : hubs.get(hub);
      if (targets) sendTo(targets, target, args);
      res.writeHead(202, { 'Content-Length': 0 }).end();
    });
  });

  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket, req) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const hub = (query.get('hub') ?? '').toLowerCase();
    const group = query.get('group') === null ? null : `${hub}\u0000${query.get('group')}`;
    const user = query.get('user') === null ? null : `${hub}\u0000${query.get('user')}`;
    const client: Client = { socket, protocol: null };
    connections++;
    join(hubs, hub, client);
    join(groups, group, client);
    join(users, user, client);
    socket.on('message', (data: RawData) => {
      if (client.protocol) return; // pings and invocations from clients are not part of these benchmarks
      const text = data.toString();
      const end = text.indexOf('\u001e');
      try {
        const handshake = JSON.parse(text.slice(0, end)) as { protocol?: unknown };
        if (handshake.protocol !== 'json' && handshake.protocol !== 'messagepack') throw new Error('protocol');
        client.protocol = handshake.protocol;
        socket.send(HANDSHAKE_OK, { binary: client.protocol === 'messagepack' });
      } catch {
        socket.send('{"error":"bad handshake"}\u001e');
        socket.close();
      }
    });
    socket.on('close', () => {
      connections--;
      leave(hubs, hub, client);
      leave(groups, group, client);
      leave(users, user, client);
    });
  });

  const listening = await listenOnLoopback(server, () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return { ...listening, connectionCount: () => connections };
}
