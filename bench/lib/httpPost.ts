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
 * A GET whose response is left unread: its socket stays busy until the caller reads it. (Not HEAD: Node's client
 * keeps a HEAD response's connection only when the server sent a Content-Length, which a bare `res.end()` does not.)
 */
function getHoldingSocket(agent: http.Agent, url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens `count` kept-alive connections in `agent` to `url`'s server, `batch` at a time, with cheap GET requests, so
 * a load that follows finds them open. The agent must keep that many idle (`maxFreeSockets`).
 *
 * WHY the responses are read only at the end: a socket returns to the agent's pool when its response has been
 * read, and the next batch then reuses the pooled ones. Reading each batch at once opened `batch` connections in
 * all, not `count`: the load then opened the rest while the server was busiest, overflowing its listen queue
 * (one accept per event-loop turn), and those callers waited 1-3 s for SYN retransmissions.
 */
export async function openConnections(agent: http.Agent, url: string, count: number, batch = 128): Promise<void> {
  const held: http.IncomingMessage[] = [];
  try {
    for (let opened = 0; opened < count; opened += batch) {
      held.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, () => getHoldingSocket(agent, url)))));
    }
  } finally {
    await Promise.all(held.map((response) => new Promise<void>((resolve) => {
      response.on('end', resolve);
      response.on('error', () => resolve());
      response.resume();
    })));
    // A socket rejoins the pool on the tick after its response ends; a request sent before would open another.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
