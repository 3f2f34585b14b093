import { completeRouter, createDefaultEndpointRouter, EndpointRoutingError, routedSubset, type EndpointRouter, type RoutableEndpoint } from '../../../src/client/endpoints/router';

const endpoint = (name: string, type: 'primary' | 'secondary', online: boolean): RoutableEndpoint => ({ name, type, online, endpoint: `https://${name}.example.com` });

/** A random source that walks through the given values, so every candidate index can be hit. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('default router: negotiate', () => {
  const a = endpoint('a', 'primary', true);
  const b = endpoint('b', 'primary', true);
  const c = endpoint('c', 'secondary', true);
  const down = (e: RoutableEndpoint): RoutableEndpoint => ({ ...e, online: false });

  test('picks among the online primaries at random, never a secondary while one is online', () => {
    const router = createDefaultEndpointRouter(sequence(0, 0.5, 0.99));
    const picks = [1, 2, 3].map(() => router.getNegotiateEndpoint({ hub: 'chat' }, [a, b, c]));
    expect(picks).toEqual([a, b, b]);
    const offlineA = down(a);
    expect(router.getNegotiateEndpoint({ hub: 'chat' }, [offlineA, b, c])).toBe(b);
  });

  test('uses an online secondary only when no primary is online', () => {
    const router = createDefaultEndpointRouter(() => 0);
    const d = endpoint('d', 'secondary', true);
    expect(router.getNegotiateEndpoint({ hub: 'chat' }, [down(a), down(b), c, d])).toBe(c);
    expect(createDefaultEndpointRouter(() => 0.9).getNegotiateEndpoint({ hub: 'chat' }, [down(a), down(b), c, d])).toBe(d);
  });

  test('with none online, still answers: a primary (health may lag behind a recovery)', () => {
    const all = [down(a), down(b), down(c)];
    expect(createDefaultEndpointRouter(() => 0).getNegotiateEndpoint({ hub: 'chat' }, all)).toBe(all[0]);
    expect(createDefaultEndpointRouter(() => 0.99).getNegotiateEndpoint({ hub: 'chat' }, all)).toBe(all[1]);
  });
});

describe('default router: calls', () => {
  const a = endpoint('a', 'primary', true);
  const b = endpoint('b', 'primary', false);
  const c = endpoint('c', 'secondary', true);
  const router = createDefaultEndpointRouter();

  test('every online endpoint, primaries and secondaries alike', () => {
    expect(router.getEndpointsForBroadcast([a, b, c])).toEqual([a, c]);
    expect(router.getEndpointsForUser('u', [a, b, c])).toEqual([a, c]);
    expect(router.getEndpointsForGroup('g', [a, b, c])).toEqual([a, c]);
    expect(router.getEndpointsForConnection('x', [a, b, c])).toEqual([a, c]);
  });

  test('every endpoint when none is online', () => {
    const none = [b, { ...c, online: false }];
    expect(router.getEndpointsForBroadcast(none)).toEqual(none);
  });
});

describe('an app router', () => {
  const east = endpoint('east', 'primary', true);
  const west = endpoint('west', 'primary', true);

  test('methods it leaves out route as by default; negotiate by a request header; undefined falls back', () => {
    const byRegion: Partial<EndpointRouter> = {
      getNegotiateEndpoint: (context, endpoints) => endpoints.find((e) => e.name === context.headers?.get('x-region')),
    };
    const router = completeRouter(byRegion, createDefaultEndpointRouter(() => 0));
    const headers = new Headers({ 'x-region': 'west' });
    expect(router.getNegotiateEndpoint({ hub: 'chat', headers }, [east, west])).toBe(west);
    expect(router.getNegotiateEndpoint({ hub: 'chat', headers: new Headers() }, [east, west])).toBe(east);
    expect(router.getEndpointsForBroadcast([east, west])).toEqual([east, west]);
  });

  test('its methods run with itself as `this`', () => {
    const router = completeRouter({
      only: 'west',
      getEndpointsForGroup(this: { only: string }, _group: string, endpoints: readonly RoutableEndpoint[]) {
        return endpoints.filter((e) => e.name === this.only);
      },
    } as Partial<EndpointRouter>);
    expect(router.getEndpointsForGroup('g', [east, west])).toEqual([west]);
  });
});

describe('routedSubset', () => {
  const a = endpoint('a', 'primary', true);
  const b = endpoint('b', 'primary', true);

  test("keeps the service's own objects, once each", () => {
    expect(routedSubset([b, a, b], [a, b], 'broadcast')).toEqual([b, a]);
  });

  test('refuses an endpoint it was not given, an empty choice and a non-array, naming the operation', () => {
    expect(() => routedSubset([{ ...a }], [a, b], 'broadcast')).toThrow(EndpointRoutingError);
    expect(() => routedSubset([], [a, b], 'sendToGroup')).toThrow(/no endpoint for sendToGroup.*\(Primary\)https:\/\/a\.example\.com/);
    expect(() => routedSubset(undefined as unknown as RoutableEndpoint[], [a], 'broadcast')).toThrow(/array/);
  });
});
