import type { ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import { ClientTransport } from './clientTransport';

interface PendingPoll {
  res: ServerResponse;
  cancelTimer: () => void;
}

/**
 * Long polling: each GET waits until data is queued (or the poll times out, answering 200 with no
 * body); POSTs carry client data; DELETE ends the connection. The first poll answers at once — the
 * official client uses it to learn the connection is ready.
 */
export class LongPollingTransport implements ClientTransport {
  readonly name = 'LongPolling';
  readonly transferFormats = ['Text', 'Binary'] as const;
  readonly inherentKeepAlive = true;
  private queue: Buffer[] = [];
  private queued = 0;
  private binary = false;
  private poll: PendingPoll | undefined;
  private ending = false;
  private done = false;
  private flushScheduled = false;
  private lastPollAt: number;

  constructor(
    private readonly pollTimeoutMs: number,
    private readonly disconnectTimeoutMs: number,
    private readonly onFinished: () => void,
    private readonly clock: Clock,
  ) {
    this.lastPollAt = clock.now();
  }

  /** Handles one GET. Returns false (and answers nothing) when another poll is already waiting. */
  handlePoll(res: ServerResponse, first: boolean, now: number): boolean {
    if (this.poll) return false;
    this.lastPollAt = now;
    if (this.done) {
      respond(res, 204);
      return true;
    }
    if (first) {
      respond(res, 200, this.binary);
      return true;
    }
    if (this.queued > 0 || this.ending) {
      this.answer(res);
      return true;
    }
    const cancelTimer = this.clock.schedule(() => {
      if (this.poll?.res !== res) return;
      this.poll = undefined;
      this.lastPollAt = this.clock.now();
      respond(res, 200, this.binary);
    }, this.pollTimeoutMs);
    this.poll = { res, cancelTimer };
    // A client that gives up on its poll (abort, socket loss) frees the slot.
    res.on('close', () => {
      if (this.poll?.res !== res) return;
      cancelTimer();
      this.poll = undefined;
      this.lastPollAt = this.clock.now();
    });
    return true;
  }

  write(bytes: Buffer, binary: boolean): void {
    if (this.ending || this.done) return;
    this.binary = binary;
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.scheduleFlush();
  }

  queuedBytes(): number {
    return this.queued;
  }

  /** The client asked to end (DELETE). */
  deleteRequested(): void {
    this.ending = true;
    this.queue = [];
    this.queued = 0;
    this.finish();
  }

  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.scheduleFlush();
  }

  abort(): void {
    this.ending = true;
    this.queue = [];
    this.queued = 0;
    this.finish();
  }

  tick(now: number): boolean {
    if (this.done) return true;
    // Nobody polled for too long: the client is gone.
    if (!this.poll && now - this.lastPollAt > this.disconnectTimeoutMs) {
      this.abort();
      return false;
    }
    return true;
  }

  /** Batches writes made in the same turn into one poll response. */
  private scheduleFlush(): void {
    if (this.flushScheduled || !this.poll) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const poll = this.poll;
      if (!poll) return;
      poll.cancelTimer();
      this.poll = undefined;
      this.answer(poll.res);
    });
  }

  private answer(res: ServerResponse): void {
    if (this.queued === 0) {
      // Nothing left to say and the connection is ending: 204 tells the client polling is over.
      respond(res, 204);
      if (this.ending) this.finish();
      return;
    }
    const body = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queued);
    this.queue = [];
    this.queued = 0;
    respond(res, 200, this.binary, body);
    this.lastPollAt = this.clock.now();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const poll = this.poll;
    if (poll) {
      poll.cancelTimer();
      this.poll = undefined;
      respond(poll.res, 204);
    }
    this.onFinished();
  }
}

function respond(res: ServerResponse, status: number, binary = false, body?: Buffer): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    'Content-Type': binary ? 'application/octet-stream' : 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Content-Length': body ? body.length : 0,
  });
  res.end(body);
}
