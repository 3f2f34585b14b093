/**
 * The REST API's nesting limit: a send body nested deeper than the service's 64 levels is refused up front with
 * a 400. Why it matters: arguments deeper than the MessagePack encoder allows (100) made it throw in the middle of
 * a fan-out, so the call answered 500 and only the connections served before the first MessagePack one got it.
 */
import { startEmulator, RunningEmulator } from '../../src/emulator';
import { connectClient, delay, TestClient } from './client-harness';
import { call } from './rest-support';

function nestedArrays(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('REST send bodies nested too deep', () => {
  let emulator: RunningEmulator;
  let clients: TestClient[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    clients = [];
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('refuses a body nested deeper than 64 levels with a 400 naming arguments, and delivers nothing', async () => {
    clients = [
      await connectClient(emulator, { hub: 'deep', protocol: 'messagepack' }),
      await connectClient(emulator, { hub: 'deep', protocol: 'json' }),
    ];
    const reply = await call(emulator.url, 'POST', '/api/hubs/deep/:send?api-version=2022-06-01', {
      body: { target: 'receive', arguments: [nestedArrays(150)] },
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'Error.Request.Invalid', target: 'arguments' });
    await delay(200);
    expect(clients.map((c) => c.received.length)).toEqual([0, 0]);
  });

  it('refuses a megabyte of nesting without failing the process', async () => {
    const reply = await call(emulator.url, 'POST', '/api/hubs/deep/:send?api-version=2022-06-01', {
      rawBody: `{"target":"receive","arguments":[${'['.repeat(400_000)}${']'.repeat(400_000)}]}`,
    });
    expect(reply.status).toBe(400);
  });

  it('still delivers arguments nested up to the limit to JSON and MessagePack clients alike', async () => {
    clients = [
      await connectClient(emulator, { hub: 'deep', protocol: 'messagepack' }),
      await connectClient(emulator, { hub: 'deep', protocol: 'json' }),
    ];
    // body object (1) + arguments array (2) + 62 nested arrays = 64 levels
    const argument = nestedArrays(62);
    const reply = await call(emulator.url, 'POST', '/api/hubs/deep/:send?api-version=2022-06-01', {
      body: { target: 'receive', arguments: [argument] },
    });
    expect(reply.status).toBe(202);
    await Promise.all(clients.map((c) => c.waitForCount(1)));
    for (const client of clients) expect(client.received[0]).toEqual([argument]);
  });
});
