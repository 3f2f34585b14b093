import { TransferFormat } from '../../protocol/hubProtocol';

export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/** The wire under one client connection. Writes are delivered in call order. */
export interface ClientTransport {
  readonly name: TransportName;
  readonly transferFormats: readonly TransferFormat[];
  /**
   * True when the transport itself proves the client is alive (long polling: the polls), so the
   * hub-level client timeout does not apply (the official client sends no pings over it).
   */
  readonly inherentKeepAlive: boolean;
  write(bytes: Buffer, binary: boolean): void;
  /** Bytes accepted by write() and not yet handed to the network. */
  queuedBytes(): number;
  /** Delivers what is queued, then ends. */
  end(): void;
  /** Ends at once, dropping anything queued. */
  abort(): void;
  /** Periodic check; returns false when the transport found its client gone (e.g. no poll for too long). */
  tick?(now: number): boolean;
}
