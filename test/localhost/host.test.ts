/**
 * The local functions host serving a fixture app (test/fixtures/localhost/app) registered with the real
 * `@azure/functions` `app.http`, received through our `@azure/functions-core` shim.
 */
import * as path from 'path';
import { startLocalHost, type LocalHost } from '../../src/localhost/host';
import type { LogLevel } from '../../src/localhost/logger';

// Under jest, `require` bypasses Module._load, so the shim is registered in jest's module registry instead.
jest.mock('@azure/functions-core', () => jest.requireActual('../../src/localhost/functionsCore').functionsCore, { virtual: true });

const projectRoot = path.join(__dirname, '..', 'fixtures', 'localhost', 'app');

interface HookState {
  appStarted: boolean;
  terminated: number;
  post: { hookData: string; status: string }[];
}

describe('local functions host', () => {
  let host: LocalHost;
  const logs: { level: LogLevel; line: string }[] = [];

  beforeAll(async () => {
    process.env.FIXTURE_GREETING = 'greeting from env';
    host = await startLocalHost({
      projectRoot,
      port: 0,
      cors: { origins: ['http://allowed.example', 'https://Other.Example'], credentials: true },
      logWriter: (level, line) => logs.push({ level, line }),
    });
  });

  afterAll(async () => {
    await host.close();
    delete process.env.FIXTURE_GREETING;
  });

  const get = (route: string, init?: RequestInit): Promise<Response> => fetch(`${host.url}${route}`, init);

  test('lists the registered HTTP functions with host.json route prefix', () => {
    const byName = new Map(host.functions.map((fn) => [fn.name, fn]));
    expect(host.routePrefix).toBe('fx');
    expect(byName.get('echoJson')?.url).toBe(`${host.url}/fx/json`);
    expect(byName.get('DefaultRoute')?.url).toBe(`${host.url}/fx/DefaultRoute`);
    expect(byName.get('DefaultRoute')?.methods).toEqual(['GET', 'POST']);
    expect(byName.get('postOnly')?.methods).toEqual(['POST']);
  });

  test('routes without the prefix are not found; the default route is the function name, any case', async () => {
    expect((await get('/DefaultRoute')).status).toBe(404);
    const response = await get('/FX/defaultroute');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('default route');
  });

  test('unknown routes give 404 with an empty body', async () => {
    const response = await get('/fx/no/such/function');
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('');
  });

  test('a known route with another method gives 404 like the Functions host', async () => {
    const wrongMethod = await get('/fx/post-only');
    expect(wrongMethod.status).toBe(404);
    const rightMethod = await get('/fx/post-only', { method: 'POST' });
    expect(rightMethod.status).toBe(200);
    expect(await rightMethod.text()).toBe('posted');
  });

  test('two functions may share a route with different methods', async () => {
    expect(await (await get('/fx/shared')).json()).toEqual({ kind: 'get', params: {} });
    expect(await (await get('/fx/shared', { method: 'POST' })).json()).toEqual({ kind: 'post', params: {} });
    expect((await get('/fx/shared', { method: 'DELETE' })).status).toBe(404);
  });

  test.each([
    ['/fx/items/42', 'int', { id: '42' }],
    ['/fx/items/abc', 'alpha', { name: 'abc' }],
    ['/fx/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'guid', { id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' }],
    ['/fx/ITEMS/special', 'literal', {}],
    ['/fx/items/a1', 'any', { anything: 'a1' }],
    ['/fx/items/99999999999', 'any', { anything: '99999999999' }],
    ['/fx/flags/TRUE', 'bool', { on: 'TRUE' }],
    ['/fx/opt', 'optional', {}],
    ['/fx/opt/bob', 'optional', { name: 'bob' }],
    ['/fx/def', 'default', { name: 'anon' }],
    ['/fx/def/zoe', 'default', { name: 'zoe' }],
    ['/fx/files/report.v2.pdf', 'complex', { name: 'report.v2', ext: 'pdf' }],
    ['/fx/range/7', 'range', { n: '7' }],
    ['/fx/rest/a/b%20c/d', 'catchAll', { path: 'a/b c/d' }],
    ['/fx/items/caf%C3%A9', 'any', { anything: 'café' }],
    // A catch-all is optional in ASP.NET templates: the bare prefix matches with no value.
    ['/fx/rest', 'catchAll', {}],
  ])('route %s matches the %s template', async (route, kind, params) => {
    const response = await get(route);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ kind, params });
  });

  test.each(['/fx/flags/maybe', '/fx/range/11', '/fx/files/noext', '/fx/opt/a/b', '/fx/items/a/b'])(
    'route %s is not found because a constraint or the shape fails',
    async (route) => {
      const response = await get(route);
      expect(response.status).toBe(404);
    },
  );

  test('query, headers, params, method and text body reach the handler through HttpRequest', async () => {
    const response = await get('/fx/echo/some/path?x=1&tag=a&tag=b', {
      method: 'PUT',
      headers: { 'x-custom': 'custom value', 'content-type': 'text/plain' },
      body: 'plain body',
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      method: 'PUT',
      url: `${host.url}/fx/echo/some/path?x=1&tag=a&tag=b`,
      params: { rest: 'some/path' },
      query: { x: '1', tag: 'b' },
      tags: ['a', 'b'],
      custom: 'custom value',
      text: 'plain body',
      functionName: 'echo',
    });
  });

  test('GET without a body gives an empty text body', async () => {
    const body = (await (await get('/fx/echo')).json()) as { text: string; params: Record<string, string> };
    expect(body.text).toBe('');
    expect(body.params).toEqual({});
  });

  test('JSON request bodies round-trip through request.json()', async () => {
    const payload = { name: 'Zoë', nested: { list: [1, 'two', null] } };
    const response = await get('/fx/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ received: payload, contentType: 'application/json' });
  });

  test('binary request bodies round-trip through request.arrayBuffer() and a Buffer response body', async () => {
    const bytes = Buffer.from([1, 2, 3, 0, 255, 128]);
    const response = await get('/fx/bytes', { method: 'POST', body: bytes });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([128, 255, 0, 3, 2, 1]));
  });

  test('jsonBody, status and headers from an HttpResponseInit', async () => {
    const response = await get('/fx/resp/json');
    expect(response.status).toBe(201);
    expect(response.headers.get('x-extra')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ok: true, list: [1, 2] });
  });

  test('a body is sent whole with its Content-Length, as the worker hands it to the host without HTTP streaming', async () => {
    for (const route of ['/fx/resp/json', '/fx/resp/buffer', '/fx/resp/stream']) {
      const response = await get(route);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([route, response.headers.get('transfer-encoding'), response.headers.get('content-length')]).toEqual([route, null, String(bytes.length)]);
    }
  });

  test('cookies become Set-Cookie headers', async () => {
    const response = await get('/fx/resp/cookies');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toEqual([
      'session=abc%20123; max-age=60; path=/; secure; samesite=strict; httponly',
      'theme=dark; expires=Tue, 01 Jan 2030 00:00:00 GMT; domain=localhost; path=/fx',
    ]);
    expect(await response.text()).toBe('cookies');
  });

  test('Buffer bodies are sent byte for byte', async () => {
    const response = await get('/fx/resp/buffer');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 250, 255]));
  });

  test('an HttpResponse instance is used as is', async () => {
    const response = await get('/fx/resp/instance');
    expect(response.status).toBe(202);
    expect(response.headers.get('x-kind')).toBe('instance');
    expect(await response.text()).toBe('accepted');
  });

  test('stream bodies are read to the end and sent', async () => {
    const response = await get('/fx/resp/stream');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('part1-part2');
  });

  test('a handler returning nothing gives 200 with an empty body (the host OkResult)', async () => {
    const response = await get('/fx/resp/nothing');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  test('a handler that throws gives a 500 JSON error without stack or secrets, and the log has no secret', async () => {
    const response = await get('/fx/boom');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('InternalServerError');
    expect(body.error.message).toMatch(/^Function 'boom' failed \(invocation [0-9a-f-]{36}\)/);
    expect(text).not.toMatch(/hunter2|Password|at .*\.js|stack/i);
    const errorLines = logs.filter((entry) => entry.level === 'error' && entry.line.includes('boom'));
    expect(errorLines.length).toBeGreaterThan(0);
    expect(errorLines.some((entry) => entry.line.includes('database Password=***'))).toBe(true);
    expect(logs.some((entry) => entry.line.includes('hunter2'))).toBe(false);
  });

  test('a non-object result is a 500 JSON error', async () => {
    const response = await get('/fx/resp/bad');
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('InternalServerError');
  });

  test('InvocationContext carries id, name, binding options and logs as "[timestamp] function: message"', async () => {
    const response = await get('/fx/context');
    // authLevel "function" is not enforced locally, as with Core Tools.
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      functionName: 'context',
      triggerType: 'httpTrigger',
      authLevel: 'function',
      returnType: 'http',
      greeting: 'greeting from env',
    });
    const line = logs.find((entry) => entry.line.includes('logging from'));
    expect(line?.level).toBe('information');
    expect(line?.line).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] context: logging from context 42$/);
    expect(logs.some((entry) => entry.level === 'warning' && entry.line.endsWith('context: a warning'))).toBe(true);
  });

  test('appStart, preInvocation and postInvocation hooks run like in the worker', async () => {
    const response = await get('/fx/hooked');
    expect(await response.json()).toEqual({ appStarted: true, wrapped: true });
    const state = (globalThis as unknown as { __localhostFixtureHookState: HookState }).__localhostFixtureHookState;
    expect(state.post).toEqual([{ hookData: 'pre', status: 'ok' }]);
  });

  describe('CORS from Host.CORS / Host.CORSCredentials', () => {
    test('preflight from an allowed origin echoes origin, method and headers with credentials', async () => {
      const response = await get('/fx/json', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://other.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-custom',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('https://other.example');
      expect(response.headers.get('access-control-allow-methods')).toBe('POST');
      expect(response.headers.get('access-control-allow-headers')).toBe('content-type,x-custom');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toBe('Origin');
    });

    test('preflight from another origin gets no CORS headers', async () => {
      const response = await get('/fx/json', {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });

    test('actual responses (including errors) carry CORS headers for allowed origins only', async () => {
      const allowed = await get('/fx/resp/json', { headers: { origin: 'http://allowed.example' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      const failed = await get('/fx/boom', { headers: { origin: 'http://allowed.example' } });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
      const other = await get('/fx/resp/json', { headers: { origin: 'http://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describe('local functions host options', () => {
  test('route prefix override (empty), 405 mode, wildcard CORS, homepage and appTerminate', async () => {
    const host = await startLocalHost({
      projectRoot,
      port: 0,
      routePrefix: '',
      methodMismatchStatus: 405,
      cors: { origins: ['*'], credentials: false },
      logWriter: () => undefined,
    });
    const state = (globalThis as unknown as { __localhostFixtureHookState: HookState }).__localhostFixtureHookState;
    const terminatedBefore = state.terminated;
    try {
      const ok = await fetch(`${host.url}/resp/json`, { headers: { origin: 'http://any.example' } });
      expect(ok.status).toBe(201);
      expect(ok.headers.get('access-control-allow-origin')).toBe('*');
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();

      const wrongMethod = await fetch(`${host.url}/post-only`);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');

      const home = await fetch(`${host.url}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('up and running');
    } finally {
      await host.close();
    }
    expect(state.terminated).toBe(terminatedBefore + 1);
  });

  test('a taken port is reported as PortInUseError', async () => {
    const first = await startLocalHost({ projectRoot, port: 0, logWriter: () => undefined });
    try {
      await expect(startLocalHost({ projectRoot, port: first.port, logWriter: () => undefined })).rejects.toMatchObject({
        name: 'PortInUseError',
        port: first.port,
      });
    } finally {
      await first.close();
    }
  });
});
