/**
 * The client connection's state machine on its own: a fake transport records what it would put on the wire, a
 * fake clock drives keep-alives and timeouts, and the real hub state shows when the connection joins and leaves.
 */
import { ClientConnection, type ConnectionHost, type ConnectionLimits } from '../../src/emulator/clientConnection';
import { NO_UPSTREAM_ERROR } from '../../src/emulator/upstream/upstreamDispatcher';
import { HubState } from '../../src/emulator/hubState';
import { InboundBuffer } from '../../src/emulator/inboundBuffer';
import { OutboundMessage } from '../../src/emulator/outboundMessage';
import type { ClientTransport, TransportName } from '../../src/emulator/transports/clientTransport';
import { messagePackProtocol } from '../../src/protocol/messagePackProtocol';
import { MessageType, type HubProtocolMessage } from '../../src/protocol/messages';
import { FakeClock } from '../support/fakeClock';

const RS = '\u001e';

class FakeTransport implements ClientTransport {
  readonly transferFormats = ['Text', 'Binary'] as const;
  readonly inherentKeepAlive = false;
  readonly frames: Array<{ bytes: Buffer; binary: boolean }> = [];
  queued = 0;
  ended = false;
  aborted = false;
  constructor(readonly name: TransportName = 'WebSockets') {}
  write(bytes: Buffer, binary: boolean): void {
    this.frames.push({ bytes, binary });
  }
  queuedBytes(): number {
    return this.queued;
  }
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
  /** The JSON records written so far, parsed. */
  json(): unknown[] {
    return this.frames.flatMap((f) => f.bytes.toString('utf8').split(RS).filter((r) => r !== '').map((r) => JSON.parse(r) as unknown));
  }
}

const LIMITS: ConnectionLimits = {
  keepAliveIntervalMs: 15_000,
  clientTimeoutMs: 30_000,
  handshakeTimeoutMs: 15_000,
  disconnectTimeoutMs: 30_000,
  maxMessageBytes: 1024,
  maxOutboundBytes: 4096,
};

function setup() {
  const clock = new FakeClock();
  const hubState = new HubState(clock);
  const finished: ClientConnection[] = [];
  const logs: string[] = [];
  const host: ConnectionHost = { hubState, limits: LIMITS, clock, log: (line) => logs.push(line), finished: (c) => finished.push(c) };
  const connection = new ClientConnection(host, 'chat', 'conn1', 'token1', 'alice', { 'asrs.s.uid': 'alice' }, clock.now());
  const transport = new FakeTransport();
  const open = (protocol: 'json' | 'messagepack' = 'json'): void => {
    connection.attach(transport, clock.now());
    connection.receive(Buffer.from(`{"protocol":"${protocol}","version":1}${RS}`), clock.now());
  };
  return { clock, hubState, finished, logs, connection, transport, open };
}

const afterTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('ClientConnection', () => {
  it('answers the handshake with {} and joins the hub only then', () => {
    const { connection, transport, hubState, clock } = setup();
    connection.attach(transport, clock.now());
    connection.receive(Buffer.from('{"protocol":"json",'), clock.now());
    expect(hubState.userExists('chat', 'alice')).toBe(false);
    expect(transport.frames).toHaveLength(0);
    connection.receive(Buffer.from(`"version":1}${RS}`), clock.now());
    expect(transport.json()).toEqual([{}]);
    expect(hubState.userExists('chat', 'alice')).toBe(true);
    expect(connection.protocolName).toBe('json');
  });

  it('refuses an unknown protocol with the handshake error and ends the transport', () => {
    const { connection, transport, clock, hubState } = setup();
    connection.attach(transport, clock.now());
    connection.receive(Buffer.from(`{"protocol":"xml","version":1}${RS}`), clock.now());
    expect(transport.json()).toEqual([{ error: "The protocol 'xml' is not supported." }]);
    expect(transport.ended).toBe(true);
    expect(connection.isClosed).toBe(true);
    expect(hubState.userExists('chat', 'alice')).toBe(false);
  });

  it('answers an invocation with an id, and only that one, with the no-upstream Completion', () => {
    const { connection, transport, open } = setup();
    open();
    connection.receive(Buffer.from(`{"type":1,"target":"send","arguments":[]}${RS}{"type":1,"invocationId":"7","target":"echo","arguments":[1]}${RS}`), 0);
    expect(transport.json().slice(1)).toEqual([{ type: 3, invocationId: '7', error: NO_UPSTREAM_ERROR }]);
  });

  it('pings once the keep-alive interval has passed without sends (to within one sweep), and not before', () => {
    const { connection, transport, clock, open } = setup();
    open();
    const sweepMs = 1000;
    const pingTimes: number[] = [];
    const started = clock.now();
    // The endpoint sweeps every connection about once a second; a ping goes out on the sweep that finds the
    // connection quiet for the interval.
    for (let t = 0; t <= 40_000; t += sweepMs) {
      const before = transport.frames.length;
      connection.receive(Buffer.from(`{"type":6}${RS}`), clock.now()); // the client keeps pinging
      connection.tick(clock.now());
      if (transport.frames.length > before) pingTimes.push(clock.now() - started);
      clock.advance(sweepMs);
    }
    expect(transport.json().slice(1).every((m) => (m as { type: number }).type === MessageType.Ping)).toBe(true);
    expect(pingTimes.length).toBeGreaterThanOrEqual(2);
    // Each ping comes at least the interval after the last write, and at most one sweep later.
    let lastWrite = 0;
    for (const at of pingTimes) {
      expect(at - lastWrite).toBeGreaterThanOrEqual(LIMITS.keepAliveIntervalMs);
      expect(at - lastWrite).toBeLessThanOrEqual(LIMITS.keepAliveIntervalMs + sweepMs);
      lastWrite = at;
    }
  });

  it('closes a client silent for the client timeout, with the reason, and leaves the hub', () => {
    const { connection, transport, clock, hubState, open } = setup();
    open();
    clock.advance(LIMITS.clientTimeoutMs);
    connection.tick(clock.now());
    expect(connection.isClosed).toBe(false);
    clock.advance(1);
    connection.tick(clock.now());
    expect(transport.json().at(-1)).toEqual({ type: 7, error: 'Server timeout elapsed without receiving a message from the client.' });
    expect(transport.ended).toBe(true);
    expect(hubState.connectionExists('chat', 'conn1')).toBe(false);
  });

  it('aborts a transport that never completes the handshake, and a negotiation never opened', () => {
    const first = setup();
    first.connection.attach(first.transport, first.clock.now());
    first.clock.advance(LIMITS.handshakeTimeoutMs + 1);
    first.connection.tick(first.clock.now());
    expect(first.transport.aborted).toBe(true);
    expect(first.logs.join('\n')).toMatch(/handshake not received in time/);

    const second = setup();
    second.clock.advance(LIMITS.disconnectTimeoutMs + 1);
    second.connection.tick(second.clock.now());
    expect(second.finished).toEqual([second.connection]);
  });

  it('closes a connection whose message grows over the size limit, also when dribbled', () => {
    const { connection, transport, open } = setup();
    open();
    for (let i = 0; i < 1100; i++) connection.receive(Buffer.from('{'), 0);
    expect(transport.json().at(-1)).toEqual({ type: 7, error: `Connection closed with an error. The message exceeds the maximum message size of ${LIMITS.maxMessageBytes} bytes.` });
    expect(connection.isClosed).toBe(true);
  });

  it('drops a client that does not read once more than the outbound bound is queued', async () => {
    const { connection, transport, open } = setup();
    open();
    transport.queued = LIMITS.maxOutboundBytes;
    connection.deliver(new OutboundMessage({ type: MessageType.Invocation, target: 't', arguments: [] }));
    await afterTick();
    expect(connection.isClosed).toBe(false);
    transport.queued = LIMITS.maxOutboundBytes + 1;
    connection.deliver(new OutboundMessage({ type: MessageType.Invocation, target: 't', arguments: [] }));
    await afterTick();
    expect(connection.isClosed).toBe(true);
    expect((transport.json().at(-1) as { error: string }).error).toMatch(/did not read its messages/);
  });

  it('says goodbye with allowReconnect when the service shuts down, in the client protocol', () => {
    const { connection, transport, open } = setup();
    open('messagepack');
    connection.close('The emulator is shutting down.', true);
    const last = transport.frames.at(-1)!;
    expect(last.binary).toBe(true);
    const { messages } = messagePackProtocol.parse(last.bytes);
    expect(messages).toEqual<HubProtocolMessage[]>([{ type: MessageType.Close, error: 'The emulator is shutting down.', allowReconnect: true }]);
  });

  it('ends quietly on a client Close, sending nothing back', () => {
    const { connection, transport, hubState, open } = setup();
    open();
    connection.receive(Buffer.from(`{"type":7}${RS}`), 0);
    expect(transport.json()).toEqual([{}]);
    expect(transport.ended).toBe(true);
    expect(hubState.connectionExists('chat', 'conn1')).toBe(false);
  });
});

describe('InboundBuffer', () => {
  it('hands text back only when a chunk brings a record separator', () => {
    const buffer = new InboundBuffer();
    expect(buffer.append(Buffer.from('{"a":'), 'recordSeparated')?.toString()).toBe('{"a":');
    buffer.keep(Buffer.from('{"a":'));
    expect(buffer.append(Buffer.from('1'), 'recordSeparated')).toBeUndefined();
    expect(buffer.size).toBe(6);
    expect(buffer.append(Buffer.from(`}${RS}`), 'recordSeparated')?.toString()).toBe(`{"a":1}${RS}`);
  });

  it('hands a binary frame back only once its announced length has arrived', () => {
    const buffer = new InboundBuffer();
    const partial = Buffer.from([5, 1, 2]);
    buffer.keep(partial);
    expect(buffer.append(Buffer.from([3]), 'lengthPrefixed')).toBeUndefined();
    expect(buffer.append(Buffer.from([4, 5]), 'lengthPrefixed')).toEqual(Buffer.from([5, 1, 2, 3, 4, 5]));
  });
});
