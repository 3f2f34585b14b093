import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { atEndOfTurn, type EndOfTurn } from '../turnBatch';
import type { Clock } from '../clock';
import { ClientTransport } from './clientTransport';

/** After a graceful close is started, a peer that never answers the close frame is cut off after this. */
export const CLOSE_GRACE_MS = 2000;

/** Where a WebSocket transport hands what it receives: the connection it carries. */
export interface TransportReceiver {
  receive(data: Buffer, now: number): void;
  transportFinished(): void;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

/**
 * The transport of a socket, stored on the socket itself, so that one set of listener functions serves every
 * socket (an emitter calls its listeners with `this` = the socket): three closures per connection fewer, which
 * at 10,000 connections is memory a plain ws server does not spend either.
 */
const TRANSPORT = Symbol('signalr.transport');
type CarryingSocket = WebSocket & { [TRANSPORT]: WebSocketTransport };

function onMessage(this: WebSocket, data: RawData): void {
  (this as CarryingSocket)[TRANSPORT].received(data);
}

function onClose(this: WebSocket): void {
  (this as CarryingSocket)[TRANSPORT].closed();
}

// ws emits 'error' for a frame it refuses (oversized, malformed), after sending its close frame (1009,
// 1002...), and for a failed send, after ending the socket: the connection is over either way. Report it now
// rather than at 'close', which waits for the socket to shut and, on Node 24, comes after the client has
// already seen the close.
function onError(this: WebSocket): void {
  (this as CarryingSocket)[TRANSPORT].receiver.transportFinished();
}

export class WebSocketTransport implements ClientTransport, EndOfTurn {
  readonly name = 'WebSockets';
  readonly transferFormats = ['Text', 'Binary'] as const;
  readonly inherentKeepAlive = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private corked = false;

  /**
   * @param rawSocket the upgraded TCP socket under `socket`: corked while a burst of writes is made in one
   * turn of the event loop, so a burst leaves in one system call instead of one per message.
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly rawSocket: Duplex,
    readonly receiver: TransportReceiver,
    private readonly clock: Clock,
  ) {
    (socket as CarryingSocket)[TRANSPORT] = this;
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  /** From the socket's 'message' listener. */
  received(data: RawData): void {
    this.receiver.receive(toBuffer(data), this.clock.now());
  }

  /** From the socket's 'close' listener. */
  closed(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.receiver.transportFinished();
  }

  write(bytes: Buffer, binary: boolean): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (!this.corked) {
      this.corked = true;
      this.rawSocket.cork();
      atEndOfTurn(this);
    }
    this.socket.send(bytes, binary ? BINARY : TEXT);
  }

  endOfTurn(): void {
    this.corked = false;
    this.rawSocket.uncork();
  }

  queuedBytes(): number {
    return this.socket.bufferedAmount;
  }

  end(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(1000);
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
      this.closeTimer.unref();
    }
  }

  abort(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.socket.terminate();
  }
}
