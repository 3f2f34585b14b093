import { HubProtocolMessage } from './messages';

export type TransferFormat = 'Text' | 'Binary';

/** A SignalR hub protocol as the service speaks it to one client connection. */
export interface HubProtocol {
  readonly name: 'json' | 'messagepack';
  readonly transferFormat: TransferFormat;
  /**
   * Parses every complete message at the start of `buffer`; bytes of an incomplete trailing
   * message come back as `rest` so a transport may deliver frames split across reads.
   * Throws ProtocolError on malformed input. Unknown message types are skipped (forward compatibility).
   */
  parse(buffer: Buffer): { messages: HubProtocolMessage[]; rest: Buffer };
  /** One framed message, ready for the wire (JSON: UTF-8 text + 0x1E; MessagePack: varint length + body). */
  write(message: HubProtocolMessage): Buffer;
  /**
   * One message without framing, as the service posts a client's message to its upstream (no record separator,
   * no length prefix).
   */
  serialize(message: HubProtocolMessage): Buffer;
  /** Reads one unframed message (an upstream request body); undefined for a type it does not know. Throws ProtocolError. */
  deserialize(body: Buffer): HubProtocolMessage | undefined;
  /** The media type of an unframed message in this protocol. */
  readonly contentType: 'application/json' | 'application/x-msgpack';
}
