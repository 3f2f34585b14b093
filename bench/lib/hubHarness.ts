/**
 * The client harness shared by the fan-out and connections scenarios: many raw `ws` clients that do
 * the SignalR handshake and then only count invocation records. Against the emulator each client
 * first negotiates (POST /client/negotiate with a client token); against the plain `ws` baseline it
 * connects straight to the socket. Everything after the socket opens is identical for both sides.
 *
 * Client sockets are spread over several loopback source addresses (127.0.0.1..127.0.0.N) so that
 * tens of thousands of connections over several rounds never run out of ephemeral ports.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { HandJwtSigner } from './handJwt';
import { countInvocations, handshakeRequest, pingFrame, RECORD_SEPARATOR, type HubProtocolName } from './hubFrames';

/** Well inside the service's 30 s client timeout, as the official clients do (every 15 s). */
const PING_INTERVAL_MS = 5000;

export interface HarnessConfig {
  /**
   * `negotiate`: negotiate, then the WebSocket (what the official client does by default); `token`: the WebSocket
   * straight away with the access token (the client's skipNegotiation); `direct`: the WebSocket with the user and
   * group in the URL, for the plain ws baseline, which checks no token.
   */
  mode: 'negotiate' | 'token' | 'direct';
  /** http://127.0.0.1:port of the server. */
  baseUrl: string;
  hub: string;
  clients: number;
  protocol: HubProtocolName;
  /** Needed in `negotiate` and `token` modes to sign client tokens. */
  accessKey?: string;
  /** User id of client i (undefined: anonymous). */
  userPrefix?: string;
  /** Direct mode only: the first `size` clients join this group through the URL. */
  group?: { name: string; size: number };
  /** Connections being set up at once. */
  setupConcurrency?: number;
  /** How many loopback source addresses to spread client sockets over. */
  sourceAddresses?: number;
}

interface NegotiateReply {
  connectionId: string;
  connectionToken?: string;
}

function isNegotiateReply(value: unknown): value is NegotiateReply {
  return typeof value === 'object' && value !== null && typeof (value as { connectionId?: unknown }).connectionId === 'string';
}

export class HubHarness {
  readonly connectionIds: string[] = [];
  private readonly sockets: WebSocket[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly signer: HandJwtSigner | undefined;
  private received = 0;
  private lastReceiptAt = 0;
  private unexpectedCloses = 0;
  private closing = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private waiter: { target: number; resolve: () => void } | undefined;

  constructor(private readonly config: HarnessConfig) {
    this.signer = config.accessKey ? new HandJwtSigner(config.accessKey) : undefined;
  }

  get count(): number {
    return this.received;
  }

  /** Sockets the server closed after their handshake (a dropped client). */
  get dropped(): number {
    return this.unexpectedCloses;
  }

  /** performance.now() of the latest counted record. */
  get lastReceipt(): number {
    return this.lastReceiptAt;
  }

  resetCount(): void {
    this.received = 0;
    this.lastReceiptAt = 0;
  }

  /** Resolves once `target` records have been counted since the last reset, a client was dropped, or after `timeoutMs`. */
  waitForCount(target: number, timeoutMs: number): Promise<number> {
    if (this.received >= target || this.unexpectedCloses > 0) return Promise.resolve(this.received);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(this.received);
      }, timeoutMs);
      this.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(this.received);
        },
      };
    });
  }

  async connectAll(): Promise<void> {
    const concurrency = this.config.setupConcurrency ?? 64;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.config.clients) {
        const index = next++;
        await this.connectOne(index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.config.clients) }, worker));
    this.startPings();
  }

  private startPings(): void {
    if (this.pingTimer) return;
    const ping = pingFrame(this.config.protocol);
    const binary = this.config.protocol === 'messagepack';
    this.pingTimer = setInterval(() => {
      for (const socket of this.sockets) if (socket.readyState === WebSocket.OPEN) socket.send(ping, { binary });
    }, PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  private sourceAddress(index: number): string {
    const spread = this.config.sourceAddresses ?? 1;
    return `127.0.0.${1 + (index % spread)}`;
  }

  private async connectOne(index: number): Promise<void> {
    const { baseUrl, hub, protocol } = this.config;
    const localAddress = this.sourceAddress(index);
    const userId = this.config.userPrefix === undefined ? undefined : `${this.config.userPrefix}${index}`;
    let socketUrl: string;
    let connectionId: string;
    if (this.config.mode === 'token') {
      if (!this.signer) throw new Error('token mode needs accessKey');
      // skipNegotiation: straight to the WebSocket with the token, as the official client does when told to.
      const token = this.signer.sign({ aud: `${baseUrl}/client/?hub=${hub}`, ...(userId ? { 'asrs.s.uid': userId } : {}) });
      connectionId = `token-${index}`;
      socketUrl = `${baseUrl.replace(/^http/, 'ws')}/client/?hub=${encodeURIComponent(hub)}&access_token=${encodeURIComponent(token)}`;
    } else if (this.config.mode === 'negotiate') {
      if (!this.signer) throw new Error('negotiate mode needs accessKey');
      const token = this.signer.sign({ aud: `${baseUrl}/client/?hub=${hub}`, ...(userId ? { 'asrs.s.uid': userId } : {}) });
      const reply = await this.postJson(`${baseUrl}/client/negotiate?hub=${encodeURIComponent(hub)}&negotiateVersion=1`, token, localAddress);
      if (!isNegotiateReply(reply)) throw new Error(`negotiate answered ${JSON.stringify(reply)}`);
      connectionId = reply.connectionId;
      const id = reply.connectionToken ?? reply.connectionId;
      socketUrl = `${baseUrl.replace(/^http/, 'ws')}/client/?hub=${encodeURIComponent(hub)}&id=${encodeURIComponent(id)}&access_token=${encodeURIComponent(token)}`;
    } else {
      connectionId = `direct-${index}`;
      const query = new URLSearchParams({ hub });
      if (userId) query.set('user', userId);
      if (this.config.group && index < this.config.group.size) query.set('group', this.config.group.name);
      socketUrl = `${baseUrl.replace(/^http/, 'ws')}/client/?${query.toString()}`;
    }
    this.connectionIds[index] = connectionId;
    await this.openSocket(socketUrl, protocol, localAddress);
  }

  private openSocket(url: string, protocol: HubProtocolName, localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, localAddress });
      this.sockets.push(socket);
      let handshaken = false;
      socket.once('open', () => socket.send(handshakeRequest(protocol)));
      socket.on('message', (data: Buffer) => {
        let offset = 0;
        if (!handshaken) {
          // The handshake reply is `{}` + 0x1E (text or binary); records may follow in the same frame.
          const end = data.indexOf(RECORD_SEPARATOR);
          if (end < 0) return;
          const reply = data.toString('utf8', 0, end);
          if (reply !== '{}') {
            reject(new Error(`handshake refused: ${reply}`));
            socket.close();
            return;
          }
          handshaken = true;
          offset = end + 1;
          resolve();
          if (offset >= data.length) return;
        }
        const counted = countInvocations(protocol, data, offset);
        if (counted === 0) return;
        this.received += counted;
        this.lastReceiptAt = performance.now();
        if (this.waiter && this.received >= this.waiter.target) this.waiter.resolve();
      });
      socket.once('error', (error) => {
        if (!handshaken) reject(error);
      });
      socket.once('close', (code) => {
        if (!handshaken) reject(new Error(`socket closed before the handshake (${code})`));
        else if (!this.closing) {
          this.unexpectedCloses++;
          this.waiter?.resolve();
        }
      });
    });
  }

  /**
   * POSTs and parses the JSON answer. A request sent on a kept-alive socket that the server closed at that moment
   * (its idle timeout racing our reuse) fails with ECONNRESET before any answer: it is sent once more on a fresh
   * socket, as Node's documentation advises (`request.reusedSocket`). Negotiate creates nothing that lasts when
   * repeated (an unused negotiation expires), so the retry is safe.
   */
  private async postJson(url: string, token: string, localAddress: string): Promise<unknown> {
    try {
      return await this.postJsonOnce(url, token, localAddress);
    } catch (error) {
      if (error instanceof StaleSocketError) return this.postJsonOnce(url, token, localAddress);
      throw error;
    }
  }

  private postJsonOnce(url: string, token: string, localAddress: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent: this.agent, localAddress, headers: { Authorization: `Bearer ${token}`, 'Content-Length': 0 } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(new Error(`negotiate status ${res.statusCode}: ${text.slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => reject(req.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocketError() : error));
      req.end();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pingTimer);
    const closed = this.sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) resolve();
          else {
            socket.once('close', () => resolve());
            socket.terminate();
          }
        }),
    );
    await Promise.all(closed);
    this.sockets.length = 0;
    this.agent.destroy();
  }
}

/** A request failed on a reused keep-alive socket the server had closed: safe to send again on a new one. */
class StaleSocketError extends Error {
  constructor() {
    super('a kept-alive socket was closed by the server as the request went out');
  }
}
