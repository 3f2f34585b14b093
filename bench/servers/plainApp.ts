/**
 * Baseline function app for the capacity scenario: `node:http` answering `POST /api/sendMessage` (anything else:
 * 404) by forwarding the body as a REST broadcast to a hub server (`config.hubUrl`, the plain hub) over a
 * keep-alive agent, then 202. The same hops as our function app (HTTP in, REST out, answer), with none of its
 * types, rules or limits, and no bound on what it holds: it queues whatever arrives.
 */
import http from 'node:http';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/localhost/host';
import { listenOnLoopback } from './listenOnLoopback';

export interface PlainAppServer {
  url: string;
  close(): Promise<void>;
}

export async function startPlainAppServer(hubUrl: string, hub: string): Promise<PlainAppServer> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`/api/hubs/${hub}/:send`, hubUrl);
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(404, { 'Content-Length': 0 });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = http.request(target, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (reply) => {
        reply.resume();
        reply.on('end', () => {
          res.writeHead(reply.statusCode === 202 ? 202 : 502, { 'Content-Length': 0 });
          res.end();
        });
      });
      forward.on('error', () => {
        res.writeHead(503, { 'Content-Length': 0 });
        res.end();
      });
      forward.end(body);
    });
  });
  // Kept-alive callers stay connected as long as with our host (KEEP_ALIVE_TIMEOUT_MS), so neither side reconnects.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return listenOnLoopback(server, () => agent.destroy());
}
