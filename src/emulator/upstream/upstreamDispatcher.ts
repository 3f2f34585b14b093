/**
 * Sends a connection's events to the upstream, as the service does in serverless mode: `connected` once the
 * handshake completes, every Invocation the client sends (category `messages`, event = its target), and
 * `disconnected` when it ends. Calls of one connection are made one after another, in the order they happened,
 * so invocations keep their order and follow `connected`; different connections run in parallel.
 *
 * Failure policy (see the README's "Upstream" section):
 * - an invocation with an id always gets a Completion: the upstream's own framed Completion when it answers 2xx
 *   with one, an empty Completion for an empty 2xx, otherwise an error saying what happened;
 * - nothing is retried: a retry could run a hub method twice (the one exception, a reset of a reused idle socket
 *   before any answer, is handled by the caller and cannot);
 * - a failed `connected` call is logged and the connection stays open: serverless `connected` is a
 *   notification (authorization happened at negotiate), and closing clients because a presence function failed
 *   would take the whole app down with it;
 * - `disconnected` is fire and forget, logged.
 */
import {
  INVOCATION_FAILED,
  UpstreamHeaders,
  UpstreamMessageType,
  upstreamSignatureHeader,
  UPSTREAM_JSON_CONTENT_TYPE,
  type UpstreamCategory,
} from '../../contract';
import type { HubProtocol } from '../../protocol/hubProtocol';
import { MessageType, type InvocationMessage, type StreamInvocationMessage } from '../../protocol/messages';
import { describeUpstreamOutcome, upstreamErrorDetail } from './outcomeText';
import { expandUrlTemplate, matchTemplate } from './settings';
import type { UpstreamSettingsSource } from './settingsSource';
import { UpstreamCaller, type UpstreamOutcome } from './upstreamCaller';

/** What the dispatcher needs from a client connection. */
export interface UpstreamConnection {
  readonly connectionId: string;
  /** The hub key (lower-cased). */
  readonly hub: string;
  readonly userId: string | undefined;
  /** `X-ASRS-User-Claims`, formatted once per connection; undefined when it has none. */
  readonly claimsHeader: string | undefined;
  /** The query of the client's connect request as `X-ASRS-Client-Query` carries it (tokens removed), if any. */
  readonly clientQuery: string | undefined;
  /** The agreed hub protocol; undefined before the handshake. */
  readonly protocol: HubProtocol | undefined;
  /** Writes one framed message, in the connection's protocol, to the client if it is still connected. */
  sendFrame(frame: Buffer): void;
  /** Closes the connection with a reason (used when its client floods the upstream). */
  close(reason: string): void;
}

export interface UpstreamDispatcherOptions {
  settings: UpstreamSettingsSource;
  /** Keys to sign `X-ASRS-Signature` with (primary first). */
  accessKeys: readonly string[];
  timeoutMs: number;
  /** Every call and its outcome when true; failures are logged always. */
  verbose: boolean;
  log(line: string): void;
}

/** Invocations of one connection waiting for the upstream; past this the client is flooding and is closed. */
export const MAX_PENDING_UPSTREAM_CALLS = 1024;

export const NO_UPSTREAM_ERROR = `${INVOCATION_FAILED}, no upstream is configured for this hub on the emulator.`;
const STREAMING_NOT_SUPPORTED = `${INVOCATION_FAILED}, streaming hub methods are not supported in serverless mode.`;

interface ConnectionQueue {
  tail: Promise<void>;
  pending: number;
}

export class UpstreamDispatcher {
  private readonly caller: UpstreamCaller;
  private readonly queues = new Map<string, ConnectionQueue>();
  private readonly reportedMisses = new Set<string>();

  constructor(private readonly options: UpstreamDispatcherOptions) {
    this.caller = new UpstreamCaller(options.timeoutMs);
  }

  connected(connection: UpstreamConnection): void {
    this.enqueue(connection, () => this.callConnectionEvent(connection, 'connected', Buffer.from(JSON.stringify({ type: UpstreamMessageType.connected }))));
  }

  disconnected(connection: UpstreamConnection, error: string | undefined): void {
    const body = error === undefined || error === '' ? { type: UpstreamMessageType.disconnected } : { type: UpstreamMessageType.disconnected, error };
    this.enqueue(connection, () => this.callConnectionEvent(connection, 'disconnected', Buffer.from(JSON.stringify(body))), true);
  }

  /** A client's Invocation (or StreamInvocation, which serverless mode does not forward). */
  invocation(connection: UpstreamConnection, message: InvocationMessage | StreamInvocationMessage): void {
    if (message.type === MessageType.StreamInvocation) {
      this.complete(connection, message.invocationId, { error: STREAMING_NOT_SUPPORTED });
      return;
    }
    this.enqueue(connection, () => this.callInvocation(connection, message));
  }

  /** Resolves once every connection's calls are done, or after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    if (this.queues.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.queues.values()].map((queue) => queue.tail)), grace]);
    clearTimeout(timer);
  }

  close(): void {
    this.caller.close();
  }

  private enqueue(connection: UpstreamConnection, task: () => Promise<void>, last = false): void {
    const queue = this.queues.get(connection.connectionId) ?? { tail: Promise.resolve(), pending: 0 };
    if (queue.pending >= MAX_PENDING_UPSTREAM_CALLS && !last) {
      this.options.log(`upstream: connection ${connection.connectionId} (hub ${connection.hub}) has ${queue.pending} calls waiting for the upstream; closing it`);
      connection.close(`Connection closed with an error. More than ${MAX_PENDING_UPSTREAM_CALLS} invocations are waiting for the upstream.`);
      return;
    }
    queue.pending += 1;
    queue.tail = queue.tail.then(task).catch((error: unknown) => {
      this.options.log(`upstream: internal error for connection ${connection.connectionId}: ${error instanceof Error ? error.message : String(error)}`);
    }).finally(() => {
      queue.pending -= 1;
      if (last) this.queues.delete(connection.connectionId);
    });
    this.queues.set(connection.connectionId, queue);
  }

  private async callConnectionEvent(connection: UpstreamConnection, event: 'connected' | 'disconnected', body: Buffer): Promise<void> {
    const url = this.urlFor(connection, 'connections', event);
    if (url === undefined) return;
    const outcome = await this.send(connection, 'connections', event, url, body, UPSTREAM_JSON_CONTENT_TYPE);
    if (outcome.kind === 'answered' && outcome.status >= 200 && outcome.status < 300) return;
    const consequence = event === 'connected' ? 'the connection stays open' : 'nothing else to do';
    this.options.log(`upstream ${event} for connection ${connection.connectionId} (hub ${connection.hub}) failed: POST ${displayUrl(url)} ${describeUpstreamOutcome(outcome, this.options.timeoutMs)}; ${consequence}`);
  }

  private async callInvocation(connection: UpstreamConnection, message: InvocationMessage): Promise<void> {
    const protocol = connection.protocol;
    if (protocol === undefined) return;
    const url = this.urlFor(connection, 'messages', message.target, message.invocationId !== undefined);
    if (url === undefined) {
      if (message.invocationId !== undefined) this.complete(connection, message.invocationId, { error: NO_UPSTREAM_ERROR });
      return;
    }
    // The hub message as the client sent it, without framing, in the client's protocol.
    const body = protocol.serialize({ type: MessageType.Invocation, invocationId: message.invocationId, target: message.target, arguments: message.arguments });
    const outcome = await this.send(connection, 'messages', message.target, url, body, protocol.contentType);
    const invocationId = message.invocationId;
    const succeeded = outcome.kind === 'answered' && outcome.status >= 200 && outcome.status < 300;
    if (!succeeded) {
      const failure = failureText(outcome, url, this.options.timeoutMs);
      this.options.log(`upstream invocation '${message.target}' from connection ${connection.connectionId} (hub ${connection.hub}) failed: POST ${displayUrl(url)} ${describeUpstreamOutcome(outcome, this.options.timeoutMs)}`);
      if (invocationId !== undefined) this.complete(connection, invocationId, { error: failure });
      return;
    }
    if (invocationId === undefined) return;
    if (outcome.body.length === 0) {
      this.complete(connection, invocationId, {});
      return;
    }
    if (isCompletionFor(protocol, outcome.body, invocationId)) {
      connection.sendFrame(outcome.body);
      return;
    }
    this.options.log(`upstream invocation '${message.target}' from connection ${connection.connectionId}: POST ${displayUrl(url)} answered ${outcome.status} with a body that is not a ${protocol.name} Completion for invocation ${invocationId}`);
    this.complete(connection, invocationId, {
      error: `${INVOCATION_FAILED}, the upstream answered ${outcome.status} with a body that is not a Completion message for this invocation.`,
    });
  }

  /** The URL the first matching template gives, or undefined (and one log line saying which template was needed). */
  private urlFor(connection: UpstreamConnection, category: UpstreamCategory, event: string, answerExpected = false): string | undefined {
    const templates = this.options.settings.templates();
    const template = matchTemplate(templates, connection.hub, category, event);
    if (template !== undefined) return expandUrlTemplate(template.urlTemplate, { hub: connection.hub, category, event });
    // Without any template this is plain serverless mode: connection events need no remark.
    if (templates.length === 0 && category === 'connections') return undefined;
    const key = `${connection.hub}\u0000${category}\u0000${event}`;
    if (this.options.verbose || !this.reportedMisses.has(key)) {
      this.reportedMisses.add(key);
      const needed = `a template whose HubPattern matches '${connection.hub}', CategoryPattern '${category}' and EventPattern '${event}'`;
      const fix = templates.length === 0 ? 'start the emulator with --upstream <url-template> or a settings.json' : `add ${needed} to the upstream settings`;
      this.options.log(`upstream: no template for hub '${connection.hub}', category '${category}', event '${event}'${answerExpected ? ' (the client is waiting for a result)' : ''}; ${fix}`);
    }
    return undefined;
  }

  private async send(connection: UpstreamConnection, category: UpstreamCategory, event: string, url: string, body: Buffer, contentType: string): Promise<UpstreamOutcome> {
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      [UpstreamHeaders.connectionId]: connection.connectionId,
      [UpstreamHeaders.hub]: connection.hub,
      [UpstreamHeaders.category]: category,
      [UpstreamHeaders.event]: event,
      [UpstreamHeaders.signature]: upstreamSignatureHeader(connection.connectionId, this.options.accessKeys),
    };
    if (connection.userId !== undefined) headers[UpstreamHeaders.userId] = connection.userId;
    if (connection.claimsHeader !== undefined) headers[UpstreamHeaders.userClaims] = connection.claimsHeader;
    if (connection.clientQuery !== undefined) headers[UpstreamHeaders.clientQuery] = connection.clientQuery;
    const started = Date.now();
    const outcome = await this.caller.call({ url, headers, body });
    if (this.options.verbose) {
      this.options.log(`upstream ${category}/${event} hub=${connection.hub} connection=${connection.connectionId} -> POST ${displayUrl(url)} ${describeUpstreamOutcome(outcome, this.options.timeoutMs)} (${Date.now() - started} ms)`);
    }
    return outcome;
  }

  private complete(connection: UpstreamConnection, invocationId: string, outcome: { error?: string }): void {
    const protocol = connection.protocol;
    if (protocol === undefined) return;
    connection.sendFrame(protocol.write({ type: MessageType.Completion, invocationId, ...(outcome.error === undefined ? {} : { error: outcome.error }) }));
  }
}

/** True when `body` is exactly one framed Completion for `invocationId` in the client's protocol. */
function isCompletionFor(protocol: HubProtocol, body: Buffer, invocationId: string): boolean {
  try {
    const { messages, rest } = protocol.parse(body);
    const only = messages[0];
    return messages.length === 1 && rest.length === 0 && only?.type === MessageType.Completion && only.invocationId === invocationId;
  } catch {
    return false;
  }
}

/** The Completion error for a failed invocation: the service's words, then what happened. */
function failureText(outcome: UpstreamOutcome, url: string, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'answered': {
      const detail = upstreamErrorDetail(outcome.body, outcome.contentType);
      return `${INVOCATION_FAILED}, status code ${outcome.status}${detail === undefined ? '' : `: ${detail}`}`;
    }
    case 'timeout':
      return `${INVOCATION_FAILED}, timeout: ${displayUrl(url)} did not answer within ${timeoutMs} ms`;
    case 'unreachable':
      return `${INVOCATION_FAILED}, could not reach ${displayUrl(url)}${outcome.code === undefined ? '' : ` (${outcome.code})`}`;
    case 'tooLarge':
      return `${INVOCATION_FAILED}, the answer of ${displayUrl(url)} is larger than the service reads`;
  }
}

/** A URL as it may be shown to clients and in logs: the query (where a function key rides as `code=`) is left out. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return '(an invalid URL)';
  }
}
