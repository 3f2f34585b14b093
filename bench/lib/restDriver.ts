/**
 * Sends REST-shaped POSTs (`/api/hubs/{hub}/...:send`) to a hub server with a fixed number in flight,
 * carrying a REST token signed by hand once per path. Used to trigger broadcasts and group sends on our
 * emulator and on the plain baseline alike (the baseline ignores the token).
 */
import http from 'node:http';
import { HandJwtSigner } from './handJwt';
import { httpPost, httpRequest } from './httpPost';
import { BENCH_ACCESS_KEY } from './constants';

export const API_VERSION = '2022-06-01';

export class RestDriver {
  // Idle sockets are dropped after 4 s, before the servers' 5 s keep-alive timeout closes them: a side that waits
  // while other sides run would otherwise send its first POST on a socket the server is closing (ECONNRESET).
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 });
  private readonly signer = new HandJwtSigner(BENCH_ACCESS_KEY);
  private readonly tokens = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  /** Authorization header for a path (token audience = URL without query). */
  authorization(path: string): string {
    let token = this.tokens.get(path);
    if (!token) {
      token = this.signer.sign({ aud: `${this.baseUrl}${path}` });
      this.tokens.set(path, token);
    }
    return `Bearer ${token}`;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}?api-version=${API_VERSION}`;
  }

  /** Sends `count` copies of the body, `inFlight` at a time; rejects on any status but 202. */
  async sendMany(path: string, body: string, count: number, inFlight: number): Promise<void> {
    const headers = { Authorization: this.authorization(path), 'Content-Type': 'application/json' };
    const url = this.url(path);
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < count) {
        next++;
        const result = await httpPost(this.agent, url, headers, body);
        if (result.status !== 202) throw new Error(`POST ${path} answered ${result.status}: ${result.body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, loop));
  }

  async put(path: string): Promise<number> {
    const result = await httpRequest(this.agent, 'PUT', this.url(path), { Authorization: this.authorization(path), 'Content-Length': '0' });
    return result.status;
  }

  close(): void {
    this.agent.destroy();
  }
}
