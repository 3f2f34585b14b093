import type { IncomingMessage, ServerResponse } from 'node:http';
import { atEndOfTurn, type EndOfTurn } from '../turnBatch';
import { ClientTransport } from './clientTransport';
import { CLOSE_GRACE_MS, type TransportReceiver } from './webSocketTransport';

/**
 * Server-Sent Events: one long GET response carries server frames as `data:` lines; the client
 * sends with POST requests (handled by the endpoint, fed to the connection).
 */
export class ServerSentEventsTransport implements ClientTransport, EndOfTurn {
  readonly name = 'ServerSentEvents';
  readonly transferFormats = ['Text'] as const;
  readonly inherentKeepAlive = false;
  private ended = false;
  private corked = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(req: IncomingMessage, private readonly res: ServerResponse, receiver: Pick<TransportReceiver, 'transportFinished'>) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      // Tell reverse proxies not to buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    // Some EventSource implementations only fire `open` once the first bytes arrive; a comment line does it.
    res.write(':\r\n');
    req.socket.setNoDelay(true);
    res.on('close', () => {
      this.ended = true;
      if (this.closeTimer) clearTimeout(this.closeTimer);
      receiver.transportFinished();
    });
  }

  write(bytes: Buffer): void {
    if (this.ended) return;
    // A burst of writes in one event-loop turn leaves in one system call.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      atEndOfTurn(this);
    }
    this.res.write(bytes);
  }

  endOfTurn(): void {
    this.flush();
  }

  /** Hands this turn's corked writes to the socket; a no-op when end() already did. */
  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  }

  queuedBytes(): number {
    return this.res.writableLength;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // Uncork first: Node 22's res.end() on a corked response writes the stream's last chunk before the
    // corked ones, so the client would miss the final events (the Close message, a handshake error).
    this.flush();
    this.res.end();
    // 'close' (which forgets the connection) waits for the queued bytes to drain; a client that stops
    // reading never lets them, so cut it off after the same grace a WebSocket close gets.
    this.closeTimer = setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  abort(): void {
    this.ended = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.res.destroy();
  }
}
