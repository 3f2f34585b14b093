import { HttpRequest } from '@azure/functions';
import { bodyReaderFor, ExpressionSyntaxError, MissingAppSettingError, parseExpression, resolveExpression, type Environment } from '../../src/bindings/expressions';

function request(init: { headers?: Record<string, string>; query?: Record<string, string>; params?: Record<string, string>; body?: string }): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost:7071/api/x',
    headers: init.headers ?? {},
    query: init.query ?? {},
    params: init.params ?? {},
    ...(init.body === undefined ? {} : { body: { string: init.body } }),
  });
}

async function resolve(expression: string, req: HttpRequest, env: Environment = {}): Promise<string | undefined> {
  return resolveExpression(parseExpression(expression), { request: req, env, body: bodyReaderFor(req) });
}

describe('binding expressions', () => {
  it('reads headers case-insensitively', async () => {
    const req = request({ headers: { 'X-MS-Client-Principal-Id': 'alice' } });
    await expect(resolve('{headers.x-ms-client-principal-id}', req)).resolves.toBe('alice');
    await expect(resolve('{Headers.X-MS-CLIENT-PRINCIPAL-ID}', req)).resolves.toBe('alice');
  });

  it('reads query parameters, exact name first, then ignoring case', async () => {
    await expect(resolve('{query.userId}', request({ query: { userId: 'a', userid: 'b' } }))).resolves.toBe('a');
    await expect(resolve('{query.USERID}', request({ query: { userId: 'a' } }))).resolves.toBe('a');
  });

  it('reads route parameters before body fields', async () => {
    const req = request({ params: { room: 'from-route' }, body: JSON.stringify({ room: 'from-body', user: 'bob' }) });
    await expect(resolve('{room}', req)).resolves.toBe('from-route');
    await expect(resolve('{user}', req)).resolves.toBe('bob');
  });

  it('reads top-level and nested JSON body fields and renders non-strings', async () => {
    const req = request({ body: JSON.stringify({ n: 7, ok: true, profile: { name: 'Ann' } }) });
    await expect(resolve('{n}', req)).resolves.toBe('7');
    await expect(resolve('{ok}', req)).resolves.toBe('true');
    await expect(resolve('{profile.name}', req)).resolves.toBe('Ann');
  });

  it('leaves the body readable for the handler', async () => {
    const req = request({ body: '{"user":"bob"}' });
    await expect(resolve('{user}', req)).resolves.toBe('bob');
    await expect(req.json()).resolves.toEqual({ user: 'bob' });
  });

  it('keeps literal text around expressions and substitutes app settings', async () => {
    const req = request({ query: { id: '42' } });
    await expect(resolve('user-{query.id}@%Tenant%', req, { Tenant: 'contoso' })).resolves.toBe('user-42@contoso');
    await expect(resolve('chat', req)).resolves.toBe('chat');
  });

  it('resolves to undefined when any part has no value (absent user, not a crash)', async () => {
    await expect(resolve('{headers.x-ms-client-principal-id}', request({}))).resolves.toBeUndefined();
    await expect(resolve('user-{query.id}', request({}))).resolves.toBeUndefined();
    await expect(resolve('{user}', request({ body: 'not json' }))).resolves.toBeUndefined();
    await expect(resolve('{user}', request({ body: '[1]' }))).resolves.toBeUndefined();
    await expect(resolve('{query.id}', request({ query: { id: '' } }))).resolves.toBeUndefined();
  });

  it('a missing app setting is an error naming it', async () => {
    await expect(resolve('%SignalRHubName%', request({}))).rejects.toBeInstanceOf(MissingAppSettingError);
    await expect(resolve('%SignalRHubName%', request({}))).rejects.toMatchObject({ setting: 'SignalRHubName' });
  });

  it.each(['{headers.x', 'a}', '{}', '%x', '{headers.}', '{a..b}'])('rejects bad syntax %p at declaration time', (source) => {
    expect(() => parseExpression(source)).toThrow(ExpressionSyntaxError);
  });

  it('knows whether an expression depends on the request', () => {
    expect(parseExpression('chat').usesRequest).toBe(false);
    expect(parseExpression('%Hub%').usesRequest).toBe(false);
    expect(parseExpression('{query.hub}').usesRequest).toBe(true);
    expect(parseExpression('{query.hub}').usesBody).toBe(false);
    expect(parseExpression('{hub}').usesBody).toBe(true);
  });
});
