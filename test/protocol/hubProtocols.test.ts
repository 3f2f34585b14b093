/**
 * The hub protocol codecs on their own: every message type written and read back in JSON and MessagePack,
 * frames split anywhere, malformed input refused with a ProtocolError, and the handshake.
 */
import { Encoder } from '@msgpack/msgpack';
import { readHandshake, writeHandshakeResponse } from '../../src/protocol/handshake';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol, writeLengthPrefixed } from '../../src/protocol/messagePackProtocol';
import { MessageType, ProtocolError, type HubProtocolMessage } from '../../src/protocol/messages';

const MESSAGES: HubProtocolMessage[] = [
  { type: MessageType.Invocation, target: 'send', arguments: ['a', 1, { b: [true, null] }] },
  { type: MessageType.Invocation, invocationId: '1', target: 'echo', arguments: [] },
  { type: MessageType.StreamInvocation, invocationId: '2', target: 'stream', arguments: [3] },
  { type: MessageType.StreamItem, invocationId: '2', item: { n: 1 } },
  { type: MessageType.Completion, invocationId: '1', result: { ok: true }, hasResult: true },
  { type: MessageType.Completion, invocationId: '1', result: null, hasResult: true },
  { type: MessageType.Completion, invocationId: '1', error: 'boom' },
  { type: MessageType.Completion, invocationId: '1' },
  { type: MessageType.CancelInvocation, invocationId: '2' },
  { type: MessageType.Ping },
  { type: MessageType.Close, error: 'bye', allowReconnect: true },
];

/** What a round trip must give back: the fields the message type defines (absent optional fields, empty headers dropped). */
function normalized(message: HubProtocolMessage): Record<string, unknown> {
  const isEmptyHeaders = (key: string, value: unknown): boolean => key === 'headers' && typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  return Object.fromEntries(Object.entries(message).filter(([key, value]) => value !== undefined && value !== false && !isEmptyHeaders(key, value)));
}

describe.each([
  ['json', jsonProtocol],
  ['messagepack', messagePackProtocol],
] as const)('%s hub protocol', (_name, protocol) => {
  it('reads back every message type it writes', () => {
    const wire = Buffer.concat(MESSAGES.map((m) => protocol.write(m)));
    const { messages, rest } = protocol.parse(wire);
    expect(rest.length).toBe(0);
    expect(messages.map(normalized)).toEqual(MESSAGES.map(normalized));
  });

  it('keeps an incomplete trailing message as rest, wherever the bytes are split', () => {
    const wire = Buffer.concat([protocol.write(MESSAGES[0]!), protocol.write(MESSAGES[1]!)]);
    for (let cut = 1; cut < wire.length; cut++) {
      const first = protocol.parse(wire.subarray(0, cut));
      const second = protocol.parse(Buffer.concat([first.rest, wire.subarray(cut)]));
      expect([...first.messages, ...second.messages].map(normalized)).toEqual([MESSAGES[0], MESSAGES[1]].map((m) => normalized(m!)));
    }
  });

  it('skips message types it does not know (newer peers)', () => {
    const unknown = protocol === jsonProtocol ? Buffer.from('{"type":99}\u001e') : writeLengthPrefixed(new Encoder().encode([99]));
    expect(protocol.parse(Buffer.concat([unknown, protocol.write({ type: MessageType.Ping })])).messages).toEqual([{ type: MessageType.Ping }]);
  });
});

describe('malformed input', () => {
  it.each([
    ['not JSON', Buffer.from('{nope\u001e')],
    ['not an object', Buffer.from('[1]\u001e')],
    ['no type', Buffer.from('{"target":"x"}\u001e')],
    ['an invocation without target', Buffer.from('{"type":1,"arguments":[]}\u001e')],
    ['arguments that are not an array', Buffer.from('{"type":1,"target":"t","arguments":{}}\u001e')],
  ])('JSON: %s is a ProtocolError', (_name, wire) => {
    expect(() => jsonProtocol.parse(wire)).toThrow(ProtocolError);
  });

  it.each([
    ['not MessagePack', writeLengthPrefixed(Buffer.from([0xc1]))],
    ['not an array', writeLengthPrefixed(new Encoder().encode({ type: 1 }))],
    ['a short invocation', writeLengthPrefixed(new Encoder().encode([1, {}, null]))],
    ['an unknown completion kind', writeLengthPrefixed(new Encoder().encode([3, {}, '1', 9]))],
    ['a length prefix over 2 GB', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])],
  ])('MessagePack: %s is a ProtocolError', (_name, wire) => {
    expect(() => messagePackProtocol.parse(wire)).toThrow(ProtocolError);
  });
});

describe('handshake', () => {
  const request = (body: string): Buffer => Buffer.from(`${body}\u001e`);

  it('agrees on json or messagepack and returns what follows the handshake', () => {
    const result = readHandshake(Buffer.concat([request('{"protocol":"json","version":1}'), Buffer.from('{"type":6}\u001e')]), ['Text', 'Binary']);
    expect(result).toMatchObject({ kind: 'ok', protocol: { name: 'json' } });
    expect(result.kind === 'ok' && result.rest.toString()).toBe('{"type":6}\u001e');
    expect(readHandshake(request('{"protocol":"messagepack","version":1}'), ['Text', 'Binary'])).toMatchObject({ kind: 'ok', protocol: { name: 'messagepack' } });
  });

  it('waits for the record separator', () => {
    expect(readHandshake(Buffer.from('{"protocol":"json"'), ['Text'])).toEqual({ kind: 'incomplete' });
  });

  it.each([
    ['{"protocol":"json","version":2}', "The server does not support version 2 of the 'json' protocol."],
    ['{"protocol":"xml","version":1}', "The protocol 'xml' is not supported."],
    ['{"version":1}', "Handshake request is missing the 'protocol' property."],
    ['nope', 'Handshake request is not valid JSON.'],
  ])('refuses %s', (body, error) => {
    expect(readHandshake(request(body), ['Text', 'Binary'])).toEqual({ kind: 'error', error });
  });

  it('refuses MessagePack on a text-only transport (Server-Sent Events)', () => {
    expect(readHandshake(request('{"protocol":"messagepack","version":1}'), ['Text'])).toMatchObject({ kind: 'error', error: expect.stringMatching(/transfer format/) });
  });

  it('answers {} or the error, each ending with the record separator', () => {
    expect(writeHandshakeResponse().toString()).toBe('{}\u001e');
    expect(JSON.parse(writeHandshakeResponse('no').toString().slice(0, -1))).toEqual({ error: 'no' });
  });
});
