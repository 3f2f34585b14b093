import { HubProtocol } from '../protocol/hubProtocol';
import { HubProtocolMessage } from '../protocol/messages';

/**
 * How one connection's frames look on the wire: a hub protocol, plus the transport's own wrapping
 * (Server-Sent Events put each frame into `data:` lines). Connections that share an encoding share
 * the bytes of every fan-out message.
 */
export interface WireEncoding {
  readonly key: string;
  /** The hub protocol under the transport's wrapping. */
  readonly protocolName: HubProtocol['name'];
  readonly binary: boolean;
  /** Wraps an already framed protocol payload (handshake response, protocol frame) for the transport. */
  wrap(frame: Buffer): Buffer;
  encode(message: HubProtocolMessage): Buffer;
}

/** SSE event: every line of the payload as a `data:` line, then an empty line. */
export function formatServerSentEvent(payload: Buffer): Buffer {
  const lines = payload.toString('utf8').split(/\r?\n/);
  return Buffer.from(lines.map((line) => `data: ${line}\r\n`).join('') + '\r\n', 'utf8');
}

const encodings = new Map<string, WireEncoding>();

export function wireEncoding(protocol: HubProtocol, serverSentEvents: boolean): WireEncoding {
  const key = serverSentEvents ? `${protocol.name}+sse` : protocol.name;
  let encoding = encodings.get(key);
  if (!encoding) {
    const wrap = serverSentEvents ? formatServerSentEvent : (frame: Buffer): Buffer => frame;
    encoding = {
      key,
      protocolName: protocol.name,
      binary: protocol.transferFormat === 'Binary' && !serverSentEvents,
      wrap,
      encode: (message) => wrap(protocol.write(message)),
    };
    encodings.set(key, encoding);
  }
  return encoding;
}

/**
 * One message on its way to many connections. It is serialized lazily, at most once per wire
 * encoding, so a broadcast to N connections costs one JSON and one MessagePack serialization. Frames the
 * sender already made for a protocol are used as they are.
 */
export class OutboundMessage {
  private readonly encoded = new Map<string, Buffer>();
  /** The last encoding asked for and its bytes: a fan-out asks for one encoding over and over. */
  private lastEncoding: WireEncoding | undefined;
  private lastBytes: Buffer | undefined;

  constructor(
    readonly message: HubProtocolMessage,
    private readonly frames?: Readonly<Partial<Record<HubProtocol['name'], Buffer>>>,
  ) {}

  bytesFor(encoding: WireEncoding): Buffer {
    if (encoding === this.lastEncoding && this.lastBytes !== undefined) return this.lastBytes;
    let bytes = this.encoded.get(encoding.key);
    if (!bytes) {
      const frame = this.frames?.[encoding.protocolName];
      bytes = frame === undefined ? encoding.encode(this.message) : encoding.wrap(frame);
      this.encoded.set(encoding.key, bytes);
    }
    this.lastEncoding = encoding;
    this.lastBytes = bytes;
    return bytes;
  }
}
