import type { Clock } from './clock';
import { HubMember, HubState } from './hubState';
import { NO_UPSTREAM_ERROR, type UpstreamConnection, type UpstreamDispatcher } from './upstream/upstreamDispatcher';
import { InboundBuffer } from './inboundBuffer';
import { atEndOfTurn, type EndOfTurn } from './turnBatch';
import { OutboundMessage, WireEncoding, wireEncoding } from './outboundMessage';
import { formatClaimsHeader, formatClientQuery } from '../contract';
import { readHandshake, writeHandshakeResponse } from '../protocol/handshake';
import { HubProtocol } from '../protocol/hubProtocol';
import { jsonProtocol } from '../protocol/jsonProtocol';
import { HubProtocolMessage, MessageType, ProtocolError } from '../protocol/messages';
import { ClientTransport } from './transports/clientTransport';

export interface ConnectionLimits {
  keepAliveIntervalMs: number;
  clientTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** A negotiated connection whose transport never shows up (or long polling without polls) is dropped after this. */
  disconnectTimeoutMs: number;
  /** Largest client message (and largest pending partial message). */
  maxMessageBytes: number;
  /** Outbound bytes queued for a slow client before the service drops it. */
  maxOutboundBytes: number;
}

export interface ConnectionHost {
  readonly hubState: HubState;
  readonly limits: ConnectionLimits;
  readonly clock: Clock;
  log(line: string): void;
  /** The connection is gone for good: forget its token. */
  finished(connection: ClientConnection): void;
  /** Where client events go in serverless mode with upstream; undefined when none is configured. */
  readonly upstream?: UpstreamDispatcher;
}

type State = 'negotiated' | 'handshaking' | 'connected' | 'closed';

/**
 * One client connection from negotiate to its end: handshake, hub protocol parsing, keep-alive pings,
 * client timeout, outbound bound, and its membership in the hub state (from handshake to close).
 */
export class ClientConnection implements HubMember, UpstreamConnection, EndOfTurn {
  private state: State = 'negotiated';
  private transport: ClientTransport | undefined;
  private encoding: WireEncoding | undefined;
  private hubProtocol: HubProtocol | undefined;
  private connectQuery: string | undefined;
  private readonly inbound = new InboundBuffer();
  private readonly createdAt: number;
  private lastReceivedAt: number;
  private lastSentAt: number;
  private transportDone = false;
  private backpressureCheckPending = false;
  /** Something was written since the last sweep: `lastSentAt` is then the sweep's time (no clock read per write). */
  private wroteSinceSweep = false;

  /**
   * The token's claims as the upstream's `X-ASRS-User-Claims` carries them, formatted once (they never change for
   * a connection); undefined without an upstream or without claims, so nothing is kept for them (memory).
   */
  readonly claimsHeader: string | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly hub: string,
    readonly connectionId: string,
    readonly connectionToken: string,
    readonly userId: string | undefined,
    claims: Record<string, unknown>,
    now: number,
  ) {
    const header = host.upstream !== undefined ? formatClaimsHeader(claims) : '';
    this.claimsHeader = header === '' ? undefined : header;
    this.createdAt = now;
    this.lastReceivedAt = now;
    this.lastSentAt = now;
  }

  get transportName(): string | undefined {
    return this.transport?.name;
  }

  get protocolName(): string | undefined {
    return this.hubProtocol?.name;
  }

  get protocol(): HubProtocol | undefined {
    return this.hubProtocol;
  }

  /** The query of the request that opened the transport, formatted for the upstream (tokens removed). */
  get clientQuery(): string | undefined {
    return this.connectQuery;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Binds the transport that just opened; false when one is already bound. */
  attach(transport: ClientTransport, now: number, query?: URLSearchParams): boolean {
    if (this.state !== 'negotiated') return false;
    this.transport = transport;
    // Only the upstream reads it: without one, holding the request's query would cost every connection.
    this.connectQuery = this.host.upstream !== undefined && query !== undefined ? formatClientQuery(query) : undefined;
    this.state = 'handshaking';
    this.lastReceivedAt = now;
    this.lastSentAt = now;
    return true;
  }

  /** Bytes from the client, in order. */
  receive(data: Buffer, now: number): void {
    if (this.state !== 'handshaking' && this.state !== 'connected') return;
    this.lastReceivedAt = now;
    const framing = this.state === 'handshaking' || this.hubProtocol?.name === 'json' ? 'recordSeparated' : 'lengthPrefixed';
    let buffer = this.inbound.append(data, framing);
    if (buffer === undefined) {
      if (this.inbound.size > this.host.limits.maxMessageBytes) this.tooLarge();
      return;
    }
    if (this.state === 'handshaking') {
      const rest = this.readHandshake(buffer, now);
      // readHandshake moves the state on; re-read it (TypeScript keeps the narrowed type).
      if (rest === undefined || (this.state as State) !== 'connected') return;
      buffer = rest;
    }
    this.readMessages(buffer);
  }

  /** The pending incomplete message (or handshake) is over the size limit. */
  private tooLarge(): void {
    if (this.state === 'handshaking') this.failHandshake('Handshake request is too large.');
    else this.close(`Connection closed with an error. The message exceeds the maximum message size of ${this.host.limits.maxMessageBytes} bytes.`);
  }

  deliver(message: OutboundMessage): void {
    if (this.state !== 'connected' || !this.encoding) return;
    this.write(message.bytesFor(this.encoding));
  }

  /** Closed by the service (REST close, shutdown, protocol error, slow consumer): the client gets a Close message. */
  close(reason: string | undefined, allowReconnect = false): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    if (wasConnected && this.encoding) {
      const close: HubProtocolMessage = {
        type: MessageType.Close,
        ...(reason !== undefined ? { error: reason } : {}),
        ...(allowReconnect ? { allowReconnect: true } : {}),
      };
      this.transport?.write(this.encoding.encode(close), this.encoding.binary);
    }
    this.leave(reason);
    if (this.transport) this.transport.end();
    else this.transportFinished();
  }

  /** Ends now without a goodbye (the transport is already broken or the client is gone). */
  abort(error?: string): void {
    if (this.state !== 'closed') this.leave(error);
    if (this.transport) this.transport.abort();
    else this.transportFinished();
  }

  /** The transport reports its wire is gone (socket closed, client DELETE, stream ended). */
  transportFinished(): void {
    if (this.state !== 'closed') this.leave();
    if (this.transportDone) return;
    this.transportDone = true;
    this.host.finished(this);
  }

  /** Periodic keep-alive and timeout checks (one sweep for all connections). */
  tick(now: number): void {
    const limits = this.host.limits;
    if (this.wroteSinceSweep) {
      // Precise enough for pings: the sweep runs several times per keep-alive interval.
      this.lastSentAt = now;
      this.wroteSinceSweep = false;
    }
    switch (this.state) {
      case 'negotiated':
        if (now - this.createdAt > limits.disconnectTimeoutMs) this.abort();
        return;
      case 'handshaking':
        if (now - this.lastSentAt > limits.handshakeTimeoutMs) {
          this.host.log(`connection ${this.connectionId}: handshake not received in time, closing`);
          this.abort();
        }
        return;
      case 'connected':
        if (this.transport?.tick && !this.transport.tick(now)) {
          this.abort('The client stopped polling.');
          return;
        }
        if (!this.transport?.inherentKeepAlive && now - this.lastReceivedAt > limits.clientTimeoutMs) {
          this.host.log(`connection ${this.connectionId}: nothing received for ${limits.clientTimeoutMs} ms, closing`);
          this.close('Server timeout elapsed without receiving a message from the client.');
          return;
        }
        if (now - this.lastSentAt >= limits.keepAliveIntervalMs && this.encoding) {
          this.write(this.encoding.encode({ type: MessageType.Ping }));
        }
        return;
      case 'closed':
        if (this.transport?.tick) this.transport.tick(now);
        return;
    }
  }

  /** Reads the handshake from `buffer`; returns the bytes after it once the connection is connected. */
  private readHandshake(buffer: Buffer, now: number): Buffer | undefined {
    const transport = this.transport;
    if (!transport) return undefined;
    const result = readHandshake(buffer, transport.transferFormats);
    if (result.kind === 'incomplete') {
      this.inbound.keep(buffer);
      if (buffer.length > this.host.limits.maxMessageBytes) this.tooLarge();
      return undefined;
    }
    if (result.kind === 'error') {
      this.failHandshake(result.error);
      return undefined;
    }
    this.hubProtocol = result.protocol;
    this.encoding = wireEncoding(result.protocol, transport.name === 'ServerSentEvents');
    this.state = 'connected';
    this.write(this.encoding.wrap(writeHandshakeResponse()));
    this.lastReceivedAt = now;
    this.host.hubState.addConnection(this.hub, this);
    this.host.upstream?.connected(this);
    return result.rest;
  }

  private failHandshake(error: string): void {
    this.host.log(`connection ${this.connectionId}: handshake refused: ${error}`);
    const transport = this.transport;
    if (transport) {
      // Before a protocol is agreed the handshake response goes out as text.
      const text = wireEncoding(jsonProtocol, transport.name === 'ServerSentEvents');
      transport.write(text.wrap(writeHandshakeResponse(error)), false);
    }
    this.state = 'closed';
    if (transport) transport.end();
    else this.transportFinished();
  }

  private readMessages(buffer: Buffer): void {
    const protocol = this.hubProtocol;
    if (!protocol) return;
    let parsed: ReturnType<typeof protocol.parse>;
    try {
      parsed = protocol.parse(buffer);
    } catch (error) {
      const detail = error instanceof ProtocolError ? ` ${error.message}` : '';
      this.host.log(`connection ${this.connectionId}: invalid ${protocol.name} data, closing`);
      this.close(`Connection closed with an error. InvalidDataException:${detail}`);
      return;
    }
    this.inbound.keep(parsed.rest);
    for (const message of parsed.messages) {
      if (this.state !== 'connected') return;
      this.handle(message);
    }
    if (parsed.rest.length > this.host.limits.maxMessageBytes) this.tooLarge();
  }

  private handle(message: HubProtocolMessage): void {
    switch (message.type) {
      case MessageType.Close:
        // The client says goodbye: end quietly, no Close back.
        this.leave(message.error);
        this.transport?.end();
        return;
      case MessageType.Invocation:
      case MessageType.StreamInvocation:
        if (this.host.upstream !== undefined) {
          this.host.upstream.invocation(this, message);
          return;
        }
        // Serverless without upstream: the service does not forward client invocations. A caller
        // waiting for a result gets an error instead of waiting forever.
        if (message.invocationId !== undefined && this.encoding) {
          this.write(this.encoding.encode({ type: MessageType.Completion, invocationId: message.invocationId, error: NO_UPSTREAM_ERROR }));
        }
        return;
      default:
        // Ping, stream items, completions, cancels, acks: nothing to do without an upstream.
        return;
    }
  }

  private write(bytes: Buffer): void {
    const transport = this.transport;
    const encoding = this.encoding;
    if (!transport || !encoding) return;
    transport.write(bytes, encoding.binary);
    this.wroteSinceSweep = true;
    if (!this.backpressureCheckPending) {
      // Checked once per event-loop turn, after the transport has handed the turn's burst to the
      // socket (its flush was queued first): only bytes the client has not taken count.
      this.backpressureCheckPending = true;
      atEndOfTurn(this);
    }
  }

  endOfTurn(): void {
    this.backpressureCheckPending = false;
    this.checkBackpressure();
  }

  private checkBackpressure(): void {
    const transport = this.transport;
    if (!transport || this.state !== 'connected') return;
    const queued = transport.queuedBytes();
    if (queued > this.host.limits.maxOutboundBytes) {
      this.host.log(`connection ${this.connectionId}: client is not reading, ${queued} bytes queued, dropping it`);
      this.close(`Connection dropped: the client did not read its messages and more than ${this.host.limits.maxOutboundBytes} bytes were queued for it.`);
    }
  }

  /** Writes a message already framed in this connection's protocol (an upstream's Completion), if still connected. */
  sendFrame(frame: Buffer): void {
    if (this.state !== 'connected' || !this.encoding) return;
    this.write(this.encoding.wrap(frame));
  }

  /** Leaves the hub state, then tells the upstream the connection ended (with its error, if it had one); idempotent. */
  private leave(error?: string): void {
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    if (!wasConnected) return;
    this.host.hubState.removeConnection(this.hub, this.connectionId);
    this.host.upstream?.disconnected(this, error);
  }
}
