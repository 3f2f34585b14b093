/**
 * Secrets never leak: with one known AccessKey, every error path is driven (bad connection strings, the
 * service refusing, failing, echoing the request's token back, being unreachable or too slow, hostile
 * input, identity refusals, bad tokens at the emulator, the emulator CLI and the local host process), and
 * everything observable is searched for the key: HTTP responses, error messages / stacks / inspected
 * errors, the invocation's logs, and whatever the process printed (console and stdout / stderr).
 * Error responses and logs must not carry a bearer token either.
 */
import { inspect } from 'node:util';
import { silenceRegistrationWarnings, callFunction, clearSettings, type FunctionResult } from './support';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { resetSignalRServiceCache, getSignalRService } from '../../src/client/service';
import { parseConnectionString } from '../../src/client/config/connectionString';
import { SignalRRestClient } from '../../src/client/rest/client';
import { accessKeyAuthorizer } from '../../src/client/auth/authorizers';
import { TokenIssuer } from '../../src/client/auth/tokens';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy';
import { httpRequest } from '../support/loadClients';
import { signHs256, clientClaims, restClaims } from '../support/jwtForge';
import { ensureBuilt, freePort, startEmulatorProcess, startNodeProcess } from '../support/nodeProcess';
import { FigureRecorder } from '../support/reliabilityFigures';

silenceRegistrationWarnings();
/* eslint-disable @typescript-eslint/no-require-imports */
const { negotiate } = require('../../functions/negotiate') as typeof import('../../functions/negotiate');
const { sendMessageOptions } = require('../../functions/sendMessage') as typeof import('../../functions/sendMessage');
const { addToGroupOptions } = require('../../functions/addToGroup') as typeof import('../../functions/addToGroup');
const { removeFromGroupOptions } = require('../../functions/removeFromGroup') as typeof import('../../functions/removeFromGroup');
const { daprSignalROptions } = require('../../functions/daprSignalR') as typeof import('../../functions/daprSignalR');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The known secret. Distinctive, so any leak is found by plain substring search. */
const KEY = 'LeakCanaryKey0123456789ABCDEFGHIJKLMNOPQRST';
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const figures = new FigureRecorder('secrets');
const SETTINGS = ['AzureSignalRConnectionString', 'SignalRHubName', 'SignalRAllowClientUserId', 'SignalRTokenLifetimeSeconds', 'SignalRRestTimeoutMs'];

let emulator: RunningEmulator;
let proxy: FaultProxy;
let restoreSettings: () => void;
const emulatorLog: string[] = [];
const printed: string[] = [];
let restoreOutput: () => void;

/** Collects everything the process prints while the tests run. */
function captureOutput(): () => void {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
    }),
  );
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    printed.push(String(chunk));
    return out(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    printed.push(String(chunk));
    return err(chunk, ...rest);
  }) as typeof process.stderr.write;
  return () => {
    for (const s of spies) s.mockRestore();
    process.stdout.write = out;
    process.stderr.write = err;
  };
}

function expectNoKey(text: string, where: string): void {
  figures.add('secretChecks');
  if (text.includes(KEY)) throw new Error(`the AccessKey leaked in ${where}: ...${text.slice(Math.max(0, text.indexOf(KEY) - 80), text.indexOf(KEY) + 60)}...`);
  // Partial leaks count too: a long prefix of the key is as bad.
  if (text.includes(KEY.slice(0, 24))) throw new Error(`a prefix of the AccessKey leaked in ${where}`);
}

function expectErrorClean(error: unknown, where: string): void {
  expect(error).toBeInstanceOf(Error);
  const e = error as Error;
  const all = [e.message, e.stack ?? '', String(e), inspect(e, { depth: 6 }), JSON.stringify(e)].join('\n');
  expectNoKey(all, where);
  expect(all).not.toMatch(JWT);
}

function expectResultClean(result: FunctionResult, where: string): void {
  const all = JSON.stringify(result.jsonBody ?? null) + '\n' + result.logs.join('\n');
  expectNoKey(all, where);
  if (result.status >= 400) expect(all).not.toMatch(JWT);
}

beforeAll(async () => {
  restoreOutput = captureOutput();
  emulator = await startEmulator({ port: 0, accessKey: KEY, log: (line) => emulatorLog.push(line) });
  proxy = await startFaultProxy({ target: emulator.url });
  restoreSettings = clearSettings(SETTINGS);
});

afterAll(async () => {
  resetSignalRServiceCache();
  await proxy.close();
  await emulator.close();
  restoreSettings();
  restoreOutput();
  figures.save();
});

const viaProxy = (): string => `Endpoint=${proxy.url};AccessKey=${KEY};Version=1.0;`;

describe('connection-string errors never repeat the key', () => {
  const broken = [
    `Endpoint=not a url;AccessKey=${KEY};Version=1.0;`,
    `Endpoint=ftp://x;AccessKey=${KEY};`,
    `AccessKey=${KEY};Version=1.0;`,
    `Endpoint=http://x;AccessKey=${KEY};AccessKey=${KEY};`,
    `Endpoint=http://x;AccessKey=${KEY};Port=99999;`,
    `Endpoint=http://x;AccessKey=${KEY};Version=9.9;`,
    `Endpoint=http://x;AccessKey=${KEY};Bogus;`,
    `Endpoint=http://x;AccessKey=${KEY};AuthType=nonsense;`,
    `${KEY}`,
    `Endpoint=http://x;AccessKey=${KEY}`.replace('AccessKey=', 'AccessKey'),
  ];

  it.each(broken.map((b, i) => [i, b] as const))('parse error %i', (_i, value) => {
    let error: unknown;
    try {
      parseConnectionString(value, 'AzureSignalRConnectionString');
    } catch (e) {
      error = e;
    }
    expectErrorClean(error, `parseConnectionString(${_i})`);
  });

  it.each(broken.map((b, i) => [i, b] as const))('a function with broken connection string %i answers without the key', async (_i, value) => {
    process.env.AzureSignalRConnectionString = value;
    resetSignalRServiceCache();
    for (const [handler, name, body] of [
      [negotiate, 'negotiate', undefined],
      [sendMessageOptions.handler, 'sendMessage', '{"target":"t","arguments":[]}'],
      [daprSignalROptions.handler, 'daprSignalR', '{"data":{"Target":"t","Arguments":[]},"operation":"create"}'],
    ] as const) {
      const result = await callFunction(handler as Parameters<typeof callFunction>[0], { path: name, body }, name);
      expect(result.status).toBeGreaterThanOrEqual(400);
      expectResultClean(result, `${name} with broken connection string ${_i}`);
    }
  });
});

describe('REST client errors never carry the key or the token', () => {
  let client: SignalRRestClient;
  beforeAll(() => {
    // Built as src/client/service.ts builds it for an AccessKey connection string (secrets: the key).
    client = new SignalRRestClient({ endpoint: proxy.url, authorizer: accessKeyAuthorizer(new TokenIssuer(KEY)), timeoutMs: 800, retry: { maxAttempts: 2, baseDelayMs: 1 }, secrets: [KEY] });
  });
  afterAll(() => client.close());
  afterEach(() => proxy.setMode({ kind: 'pass' }));

  const send = (): Promise<void> => client.sendToUser('chat', 'u1', { target: 't', arguments: [] });

  it.each([
    ['refused', async () => proxy.setMode({ kind: 'refuse' })],
    ['reset', async () => proxy.setMode({ kind: 'reset-before-forward' })],
    ['stall (timeout)', async () => proxy.setMode({ kind: 'stall' })],
    ['500', async () => proxy.script([{ status: 500 }])],
    ['401 echoing the request token in its body', async () => proxy.script([{ status: 401, body: JSON.stringify({ code: 'Unauthorized', message: `bad token ${signHs256(restClaims('http://x/api'), KEY)}` }) }])],
    // A service (or something posing as it) that echoes the key back is hostile; the client must still not
    // pass the key on into messages that end up in logs.
    ['400 echoing the key in its body', async () => proxy.script([{ status: 400, body: JSON.stringify({ message: `key ${KEY} rejected` }) }])],
    ['429 (x5, more than the attempts) echoing the key, with a garbage Retry-After', async () => proxy.script(Array.from({ length: 5 }, () => ({ status: 429, headers: { 'retry-after': 'soon' }, body: KEY })))],
  ])('%s', async (_name, arm) => {
    await arm();
    const error = await send().catch((e: unknown) => e);
    expectErrorClean(error, `REST error: ${_name}`);
  });
});

describe('functions: every error path answers and logs without the key', () => {
  beforeAll(() => {
    process.env.AzureSignalRConnectionString = viaProxy();
    process.env.SignalRRestTimeoutMs = '800';
    resetSignalRServiceCache();
  });
  afterEach(() => proxy.setMode({ kind: 'pass' }));

  type Handler = Parameters<typeof callFunction>[0];
  const json = { 'content-type': 'application/json' };
  const requests: Array<[string, Handler, { body?: string; headers?: Record<string, string>; query?: Record<string, string>; method?: string }]> = [
    ['sendMessage', sendMessageOptions.handler as Handler, { body: '{"target":"t","arguments":["x"]}', headers: json }],
    ['sendMessage (bad body)', sendMessageOptions.handler as Handler, { body: '{"target":', headers: json }],
    ['sendMessage (forbidden sender)', sendMessageOptions.handler as Handler, { body: '{"target":"t","arguments":[{"sender":"bob"}]}', headers: { ...json, 'x-ms-client-principal-id': 'alice' } }],
    ['addToGroup', addToGroupOptions.handler as Handler, { body: '{"groupName":"g","connectionId":"c1"}', headers: json }],
    ['addToGroup (acting as another)', addToGroupOptions.handler as Handler, { body: '{"groupName":"g","userId":"bob"}', headers: { ...json, 'x-ms-client-principal-id': 'alice' } }],
    ['removeFromGroup', removeFromGroupOptions.handler as Handler, { body: '{"groupName":"g","connectionId":"c1"}', headers: json }],
    ['daprSignalR', daprSignalROptions.handler as Handler, { body: '{"data":{"Target":"t","Arguments":[]},"metadata":{"group":"g"},"operation":"create"}', headers: json }],
    ['daprSignalR (bad operation)', daprSignalROptions.handler as Handler, { body: '{"operation":"delete"}', headers: json }],
    ['negotiate (user mismatch)', negotiate as Handler, { method: 'GET', headers: { 'x-ms-client-principal-id': 'alice', 'x-user-id': 'bob' } }],
  ];
  const faults: Array<[string, () => Promise<void>]> = [
    ['service up', async () => undefined],
    ['service refusing', () => proxy.setMode({ kind: 'refuse' })],
    ['service stalled', () => proxy.setMode({ kind: 'stall' })],
    ['service 500', () => proxy.script(Array.from({ length: 5 }, () => ({ status: 500, body: `{"message":"${KEY}"}` })))],
    ['service 401 echoing a token', () => proxy.script(Array.from({ length: 5 }, () => ({ status: 401, body: `{"message":"${signHs256({ a: 1 }, KEY)}"}` })))],
  ];

  for (const [faultName, arm] of faults) {
    it(`with the ${faultName}`, async () => {
      await arm();
      for (const [name, handler, spec] of requests) {
        const result = await callFunction(handler, { path: name, ...spec }, name);
        expectResultClean(result, `${name} with the ${faultName}`);
      }
    });
  }

  it('getSignalRService errors (bad setting names, missing settings) never carry the key', () => {
    for (const env of [{}, { Other: viaProxy() }, { AzureSignalRConnectionString: `Endpoint=;AccessKey=${KEY}` }]) {
      let error: unknown;
      try {
        getSignalRService('AzureSignalRConnectionString', env);
      } catch (e) {
        error = e;
      }
      expectErrorClean(error, `getSignalRService(${Object.keys(env).join(',')})`);
    }
  });
});

describe('emulator: refusals and logs never carry the key', () => {
  it('401s for bad tokens and bodies, and the emulator log, are clean', async () => {
    const url = `${emulator.url}/api/hubs/chat/:send?api-version=2022-06-01`;
    const cases: Array<Record<string, string>> = [
      { authorization: `Bearer ${signHs256(restClaims(url), `${KEY}x`)}` },
      { authorization: `Bearer ${KEY}` },
      { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}` },
      { authorization: `Bearer ${signHs256(clientClaims(emulator.url, 'chat', 'u'), KEY)}` },
    ];
    for (const headers of cases) {
      const res = await httpRequest(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: `{"target":"${KEY}"` });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expectNoKey(res.body + JSON.stringify(res.headers), 'emulator REST refusal');
      const neg = await httpRequest(`${emulator.url}/client/negotiate?hub=chat&negotiateVersion=1`, { method: 'POST', headers: { ...headers, 'content-length': '0' } });
      expectNoKey(neg.body, 'emulator negotiate refusal');
    }
    expectNoKey(emulatorLog.join('\n'), 'the emulator log');
  });

  it('the emulator CLI with a custom key prints neither the key nor tokens, even with --verbose traffic', async () => {
    const port = await freePort();
    const cli = await startEmulatorProcess(port, KEY);
    try {
      await httpRequest(`http://127.0.0.1:${port}/api/hubs/chat/:send?api-version=2022-06-01`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{}' });
      await httpRequest(`http://127.0.0.1:${port}/client/negotiate?hub=chat`, { method: 'POST', headers: { authorization: 'Bearer x' }, body: '' });
    } finally {
      await cli.stop('SIGTERM');
    }
    expectNoKey(cli.output(), 'the emulator CLI output');
    expect(cli.output()).toContain('listening on');
  });

  it('the local host process prints no key at start, on errors or when stopped', async () => {
    const emuPort = await freePort();
    const appPort = await freePort();
    const app = await startNodeProcess({
      entry: ensureBuilt('dist/src/localhost/start.js'),
      args: ['--port', String(appPort), '--no-emulator', '--no-func'],
      // Points at a port where nothing listens: every send is a "service unreachable" error path.
      env: { AzureSignalRConnectionString: `Endpoint=http://127.0.0.1;Port=${emuPort};AccessKey=${KEY};Version=1.0;`, SignalRRestTimeoutMs: '5000' },
      ready: /Press Ctrl\+C to stop/,
    });
    try {
      const res = await httpRequest(`http://127.0.0.1:${appPort}/api/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"target":"t","arguments":[]}' });
      expect(res.status).toBe(503);
      expectNoKey(res.body, 'local host response');
      const bad = await httpRequest(`http://127.0.0.1:${appPort}/api/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      expect(bad.status).toBe(400);
    } finally {
      await app.stop('SIGTERM');
    }
    expectNoKey(app.output(), 'the local host output');
  });
});

describe('nothing printed by this process carried the key', () => {
  it('console and stdout / stderr stayed clean for the whole file', () => {
    expectNoKey(printed.join('\n'), 'process output');
  });
});
