/**
 * fast-check arbitraries for hostile input: what an attacker or a broken client sends to the function
 * endpoints, the emulator's REST API and its client transports. Each arbitrary is small to generate and
 * shrinks well, except the deliberately huge ones, which are constants built once.
 */
import fc from 'fast-check';

/** 2 MB: twice the service's 1 MB message limit. */
export const TWO_MB = 2 * 1024 * 1024;

const hugeString = 'x'.repeat(TWO_MB);
const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
const deepObject = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);

/** Strings people do not expect: empty, whitespace, control characters, traversal, encodings, huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u0000',
      '\u001e',
      '../../etc/passwd',
      '..%2F..%2F',
      '%00',
      '%',
      '%zz',
      'a/b',
      'a?b=c',
      'a#b',
      'a\\b',
      '<script>alert(1)</script>',
      "'; DROP TABLE users; --",
      '${process.env.AzureSignalRConnectionString}',
      '{headers.x-ms-client-principal-id}',
      '__proto__',
      'constructor',
      '\u202eevil',
      '😀'.repeat(100),
      '\ud800',
      'a'.repeat(129),
      'a'.repeat(1025),
      'a'.repeat(70_000),
    ),
  },
  { weight: 1, arbitrary: fc.constant(hugeString) },
);

/** Names that a hub / group / user / connection id must refuse (hub names must match the pattern). */
export const invalidHubName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '1chat', '_chat', 'chat room', 'chat/room', 'chat?x', 'chat#', 'chät', 'a'.repeat(129), '..', '%2e%2e', 'chat\u0000'),
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/.test(s)),
);

/** Any JSON value, nested a few levels. */
export const jsonValue: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/** A value of any JavaScript type that survives JSON (for "wrong type" fields). */
export const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(1e308),
  fc.constant(-0),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.string({ maxLength: 10 }),
);

/**
 * An object based on `template` where each field is randomly kept, removed, or replaced by a value of
 * another type or a hostile string, plus random extra keys (including `__proto__`).
 */
export function mutatedObject(template: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const fieldArbs: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, value] of Object.entries(template)) {
    fieldArbs[key] = fc.oneof(
      { weight: 3, arbitrary: fc.constant(value) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: wrongTypeValue },
      { weight: 2, arbitrary: hostileString },
    );
  }
  return fc
    .tuple(fc.record(fieldArbs), fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'extra', 'Target', 'ARGUMENTS'), jsonValue, { maxKeys: 2 }))
    .map(([fields, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
      for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    });
}

/** Request bodies that are not valid JSON, or valid JSON of the wrong shape, or too big / too deep. */
export const malformedBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '[',
      '{"a":}',
      '{"target":"x",}',
      "{'target':'x'}",
      'undefined',
      'NaN',
      'null',
      'true',
      '0',
      '"just a string"',
      '[]',
      '[1,2,3]',
      '\ufeff{}',
      '{"a":1}{"b":2}',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
    ),
  },
  { weight: 3, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: jsonValue.map((v) => JSON.stringify(v)).chain((s) => fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constantFrom(deepArray, deepObject) },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ target: 'x', arguments: [hugeString] })) },
);

/** Random bytes, including ones that look like SignalR framing (record separators, handshake). */
export const hostileBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u001e',
      '{}\u001e',
      '{"protocol":"json","version":1}',
      '{"protocol":"json","version":99}\u001e',
      '{"protocol":"xml","version":1}\u001e',
      '{"protocol":"messagepack","version":1}\u001e',
      '{"protocol":"json"}\u001e',
      '{"protocol":1,"version":"1"}\u001e',
      '{"type":1}\u001e',
      '{"type":1,"target":5,"arguments":{}}\u001e',
      '{"type":99}\u001e',
      '{"type":7}\u001e',
      '{"type":4,"invocationId":"1","target":"x","arguments":[]}\u001e',
      '[1,2,3]\u001e',
      'null\u001e',
      '\u001e\u001e\u001e',
    ).map((s) => Buffer.from(s)),
  },
  { weight: 1, arbitrary: malformedBody.map((b) => Buffer.concat([Buffer.from(b), Buffer.from('\u001e')])) },
);
