/**
 * Baseline for the upstream scenario: a plain `node:http` upstream that answers every invocation with its framed
 * JSON Completion (result = the first argument), the least any upstream must do. No function types, no dispatch.
 */
import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback';

export interface PlainUpstreamServer {
  url: string;
  close(): Promise<void>;
}

export async function startPlainUpstreamServer(): Promise<PlainUpstreamServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { invocationId?: string; arguments?: unknown[] };
      if (message.invocationId === undefined) {
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
        return;
      }
      const body = Buffer.from(`${JSON.stringify({ type: 3, invocationId: message.invocationId, result: message.arguments?.[0] ?? null })}\u001e`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
  });
  return listenOnLoopback(server);
}
