/**
 * Watches Node's own HTTP client, from outside the code under test, through the channels Node publishes
 * (`http.client.request.start`, `http.client.request.error`): every request to one port, which call made it
 * (the tag `track(tag, fn)` put in an AsyncLocalStorage around the call), whether its socket was a reused
 * kept-alive one, and how it failed. Tests read the resets a call met and the requests it took from here, not
 * from the client's own bookkeeping.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface ObservedRequest {
  /** Set once the request failed: its error code, and whether it had been put on a reused socket. */
  failure?: { code: string | undefined; reusedSocket: boolean };
}

/** Error codes of a connection closed under a request. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export class HttpClientObserver {
  private readonly calls = new AsyncLocalStorage<string>();
  private readonly byTag = new Map<string, ObservedRequest[]>();
  private readonly byRequest = new WeakMap<ClientRequest, ObservedRequest>();

  private readonly onStart = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    const tag = this.calls.getStore();
    if (tag === undefined || request.getHeader('host') !== `127.0.0.1:${this.port}`) return;
    const observed: ObservedRequest = {};
    this.byRequest.set(request, observed);
    let list = this.byTag.get(tag);
    if (list === undefined) this.byTag.set(tag, (list = []));
    list.push(observed);
  };

  private readonly onError = (message: unknown): void => {
    const { request, error } = message as { request: ClientRequest; error: NodeJS.ErrnoException };
    const observed = this.byRequest.get(request);
    if (observed !== undefined) observed.failure = { code: error.code, reusedSocket: request.reusedSocket };
  };

  constructor(private readonly port: number) {
    diagnosticsChannel.subscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.subscribe('http.client.request.error', this.onError);
  }

  /** Runs `fn` with every request it makes to the port recorded under `tag`. */
  track<T>(tag: string, fn: () => Promise<T>): Promise<T> {
    return this.calls.run(tag, fn);
  }

  requestsOf(tag: string): readonly ObservedRequest[] {
    return this.byTag.get(tag) ?? [];
  }

  /** Requests of `tag` whose connection was reset or closed under them. */
  resetsOf(tag: string): number {
    return this.requestsOf(tag).filter((r) => r.failure !== undefined && RESET_CODES.has(r.failure.code ?? '')).length;
  }

  close(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.unsubscribe('http.client.request.error', this.onError);
  }
}
