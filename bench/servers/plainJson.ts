/**
 * Baseline for the negotiate scenario: a plain `node:http` server that reads the request and answers
 * a fixed JSON body of the same size as our negotiate response. Nothing else: this is the ceiling of
 * an HTTP server in this Node process on this machine.
 */
import http from 'node:http';
import { listenOnLoopback } from './listenOnLoopback';

export interface PlainJsonServer {
  url: string;
  close(): Promise<void>;
}

/** A JSON object whose serialisation is exactly `length` bytes (minimum 10). */
export function fixedJsonBody(length: number): Buffer {
  const skeleton = JSON.stringify({ url: '', accessToken: '' });
  const padding = Math.max(0, length - skeleton.length);
  return Buffer.from(JSON.stringify({ url: 'x'.repeat(Math.min(padding, 64)), accessToken: 'y'.repeat(Math.max(0, padding - 64)) }));
}

export async function startPlainJsonServer(bodyLength: number): Promise<PlainJsonServer> {
  const body = fixedJsonBody(bodyLength);
  const server = http.createServer((req, res) => {
    // Drain the request body as a real handler would before answering.
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    });
  });
  return listenOnLoopback(server);
}
