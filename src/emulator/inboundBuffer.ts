/**
 * Bytes a client has sent that do not yet form a whole message. Incomplete data is handed back for parsing only
 * when a new chunk can complete it (a record separator for JSON and the handshake, the announced frame length for
 * MessagePack); until then chunks are only kept aside. Why: re-concatenating and re-parsing the whole pending
 * buffer per chunk made a client dribbling a 1 MB message in 1-byte frames cost ~10^12 byte copies.
 */
import { RECORD_SEPARATOR } from '../protocol/jsonProtocol';
import { lengthPrefixedBytesNeeded } from '../protocol/messagePackProtocol';

/** How messages end: text records end with 0x1E (JSON, the handshake), binary frames carry their length first. */
export type Framing = 'recordSeparated' | 'lengthPrefixed';

const EMPTY = Buffer.alloc(0);

export class InboundBuffer {
  /** The start of an incomplete message, as last parsed. */
  private pending: Buffer = EMPTY;
  /** Chunks after `pending` that cannot complete it yet; none most of the time, so no array until then. */
  private deferred: Buffer[] | undefined;
  private deferredBytes = 0;

  /** Bytes held: the incomplete message and what arrived after it. */
  get size(): number {
    return this.pending.length + this.deferredBytes;
  }

  /**
   * Adds a chunk. Returns everything held when it may now contain a complete message (the caller parses it and
   * gives the unparsed tail back with `keep`), or undefined while it cannot.
   */
  append(chunk: Buffer, framing: Framing): Buffer | undefined {
    if (this.pending.length > 0 && !this.mayComplete(chunk, framing)) {
      (this.deferred ??= []).push(chunk);
      this.deferredBytes += chunk.length;
      return undefined;
    }
    if (this.pending.length === 0 && this.deferred === undefined) return chunk;
    const all = Buffer.concat([this.pending, ...(this.deferred ?? []), chunk]);
    this.pending = EMPTY;
    this.deferred = undefined;
    this.deferredBytes = 0;
    return all;
  }

  /** Keeps the unparsed tail of what `append` returned, to be completed by later chunks. */
  keep(rest: Buffer): void {
    // An empty tail is a view on the chunk just parsed: holding it would keep that chunk's memory alive.
    this.pending = rest.length === 0 ? EMPTY : rest;
  }

  private mayComplete(chunk: Buffer, framing: Framing): boolean {
    if (framing === 'recordSeparated') return chunk.includes(RECORD_SEPARATOR);
    return this.pending.length + this.deferredBytes + chunk.length >= lengthPrefixedBytesNeeded(this.pending);
  }
}
