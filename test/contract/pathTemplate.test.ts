import { fillPath, parsePathTemplate, REST_OPERATIONS } from '../../src/contract';

describe('REST path templates', () => {
  it('splits a template into literals and parameters, in order', () => {
    const template = parsePathTemplate('hubs/{hub}/users/{user}/groups/{group}');
    expect(template.params).toEqual(['hub', 'user', 'group']);
    expect(template.segments).toEqual([
      { literal: 'hubs' }, { param: 'hub' }, { literal: 'users' }, { param: 'user' }, { literal: 'groups' }, { param: 'group' },
    ]);
  });

  it('parses every path and alias of the REST table, each naming only known parameters', () => {
    for (const operation of Object.values(REST_OPERATIONS)) {
      for (const path of [operation.path, ...(('aliases' in operation ? operation.aliases : undefined) ?? [])]) {
        expect(() => parsePathTemplate(path)).not.toThrow();
        expect(parsePathTemplate(path).segments.map((s) => ('param' in s ? `{${s.param}}` : s.literal)).join('/')).toBe(path);
      }
    }
  });

  it('parses each template once and hands the same one back', () => {
    expect(parsePathTemplate(REST_OPERATIONS.sendToUser.path)).toBe(parsePathTemplate(REST_OPERATIONS.sendToUser.path));
  });

  it('fills parameters percent-encoded under /api, literal segments as they are', () => {
    const path = fillPath(parsePathTemplate(REST_OPERATIONS.sendToUser.path), { hub: 'chat', user: 'a/b c' });
    expect(path).toBe('/api/hubs/chat/users/a%2Fb%20c/:send');
  });

  it('refuses a template naming an unknown parameter, and a fill missing a value', () => {
    expect(() => parsePathTemplate('hubs/{hub}/things/{thing}')).toThrow('unknown path parameter {thing} in hubs/{hub}/things/{thing}');
    expect(() => fillPath(parsePathTemplate('hubs/{hub}/groups/{group}'), { hub: 'chat' })).toThrow('no value for {group} in hubs/{hub}/groups/{group}');
  });
});
