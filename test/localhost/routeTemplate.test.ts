import { compareRoutePrecedence, RouteTemplate, RouteTemplateError, splitPath } from '../../src/localhost/routeTemplate';
import { globToRegExp } from '../../src/localhost/entryFiles';
import { redactSecrets } from '../../src/localhost/redact';

const match = (template: string, path: string): Record<string, string> | undefined =>
  new RouteTemplate(template).match(splitPath(path))?.params;

describe('route templates', () => {
  test.each([
    ['api/items/{id:int}', '/api/items/-12', { id: '-12' }],
    ['api/items/{id:int}', '/api/items/2147483648', undefined],
    ['api/items/{id:long}', '/api/items/2147483648', { id: '2147483648' }],
    ['api/{a:alpha}', '/api/abc1', undefined],
    ['api/{g:guid}', '/api/{3F2504E0-4F89-11D3-9A0C-0305E82C3301}', { g: '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}' }],
    ['api/{g:guid}', '/api/not-a-guid', undefined],
    ['api/{b:bool}', '/api/False', { b: 'False' }],
    ['api/{d:decimal}', '/api/3.25', { d: '3.25' }],
    ['api/{s:minlength(3):maxlength(4)}', '/api/ab', undefined],
    ['api/{s:minlength(3):maxlength(4)}', '/api/abcd', { s: 'abcd' }],
    ['api/{s:length(2)}', '/api/abc', undefined],
    ['api/{n:min(5)}', '/api/4', undefined],
    ['api/{code:regex(^[a-z]{{2}}\\d$)}', '/api/AB1', { code: 'AB1' }],
    ['api/{code:regex(^[a-z]{{2}}\\d$)}', '/api/AB12', undefined],
    ['API/Chat', '/api/chat', {}],
    ['api/chat', '/api/chat/', {}],
    ['chat/{*asset}', '/chat', {}],
    ['chat/{*asset}', '/chat/js/app.js', { asset: 'js/app.js' }],
    ['chat/{**asset}', '/chat/a%2Fb', { asset: 'a/b' }],
    ['', '/', {}],
    ['', '/x', undefined],
    ['{a}/{b?}', '/one', { a: 'one' }],
    ['{a}/{b=two}', '/one', { a: 'one', b: 'two' }],
    ['{name}-v{version:int}', '/tool-v3', { name: 'tool', version: '3' }],
  ])('%s on %s gives %j', (template, path, expected) => {
    expect(match(template, path)).toEqual(expected);
  });

  test.each([
    ['a/{*rest}/b', 'catch-all parameter must be the last segment'],
    ['a/{x?}/b', 'optional parameter must be at the end'],
    ['a/{x}{y}', 'must be separated by literal text'],
    ['a/{x}/{X}', 'appears twice'],
    ['a/{x:nosuch}', 'not known'],
    ['a/{x', 'unclosed'],
    ['a//b', 'empty segment'],
    ['a/{x:range(a,b)}', 'numeric arguments'],
  ])('%s is rejected (%s)', (template, message) => {
    expect(() => new RouteTemplate(template)).toThrow(RouteTemplateError);
    expect(() => new RouteTemplate(template)).toThrow(message);
  });

  test('precedence: literal, then constrained, then plain, then catch-all', () => {
    const templates = ['api/{*rest}', 'api/{id}', 'api/{id:int}', 'api/items', 'api/{a}.{b}'].map((t) => new RouteTemplate(t));
    const sorted = [...templates].sort(compareRoutePrecedence).map((t) => t.template);
    expect(sorted).toEqual(['api/items', 'api/{a}.{b}', 'api/{id:int}', 'api/{id}', 'api/{*rest}']);
  });
});

describe('entry file globs', () => {
  test.each([
    ['/p/dist/functions/*.js', '/p/dist/functions/a.js', true],
    ['/p/dist/functions/*.js', '/p/dist/functions/sub/a.js', false],
    ['/p/dist/**/*.js', '/p/dist/functions/sub/a.js', true],
    ['/p/dist/**/*.js', '/p/dist/a.js', true],
    ['/p/dist/{index.js,functions/*.js}', '/p/dist/functions/x.js', true],
    ['/p/dist/{index.js,functions/*.js}', '/p/dist/other.js', false],
    ['/p/dist/f?.js', '/p/dist/f1.js', true],
  ])('%s matches %s: %s', (glob, file, expected) => {
    expect(globToRegExp(glob).test(file)).toBe(expected);
  });
});

describe('secret redaction', () => {
  test('connection-string keys, bearer tokens, JWTs and secret env values are hidden', () => {
    const env = { MY_API_KEY: 'supersecretvalue', AzureSignalRConnectionString: 'Endpoint=http://x;AccessKey=KEYKEYKEYKEY;' };
    const text = redactSecrets(
      'AccessKey=abc123; Bearer eyJhbGciOi.eyJzdWIi.sig and supersecretvalue and raw KEYKEYKEYKEY and https://h/api?code=xyz&x=1',
      env,
    );
    expect(text).not.toMatch(/abc123|eyJ|supersecretvalue|KEYKEYKEYKEY|xyz/);
    expect(text).toContain('AccessKey=***');
    expect(text).toContain('x=1');
  });
});
