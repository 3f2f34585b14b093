/**
 * A bare `node:http` POST with a keep-alive agent, used by the drivers and the "bare node:http" layer.
 */
import http from 'node:http';

export interface PostResult {
  status: number;
  body: string;
}

export function httpPost(agent: http.Agent, url: string, headers: Record<string, string>, body: string | Buffer): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(payload.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function httpRequest(agent: http.Agent, method: string, url: string, headers: Record<string, string> = {}): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens `count` kept-alive connections in `agent` to `url`'s server, `batch` at a time, with cheap HEAD requests, so
 * a load that follows finds them open. The agent must keep that many idle (`maxFreeSockets`).
 */
export async function openConnections(agent: http.Agent, url: string, count: number, batch = 128): Promise<void> {
  for (let opened = 0; opened < count; opened += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, () => httpRequest(agent, 'HEAD', url)));
  }
}
