/**
 * Which endpoints a negotiate or a REST call goes to, shaped like the official SDK's `IEndpointRouter`
 * (`GetNegotiateEndpoint` plus the `IMessageRouter` methods), so a router written for it reads the same here.
 *
 * An app passes its own router to the binding adapter (`withSignalR(..., { router })`) or in a call's options
 * bag; methods it leaves out keep the default behaviour (as the official `EndpointRouterDecorator` does). A
 * router gets the service's endpoints with their health and returns some of those very objects; anything else
 * is refused with a clear error.
 *
 * Default behaviour (research notes, section D), with one deliberate change: when no endpoint is online, the
 * official router throws; ours uses all of them, since health may lag behind a recovery and the call itself (or
 * the client's connect) then tells whether the instance is really gone.
 * - negotiate: a random online primary; else a random online secondary; else a random primary.
 * - broadcast, user, group, connection: every online endpoint; else every endpoint.
 */
import { describeEndpoint, type EndpointIdentity } from './identity';

/** What a router sees of an endpoint. */
export interface RoutableEndpoint extends EndpointIdentity {
  readonly online: boolean;
}

/** Something to read request values from: `Headers` and `URLSearchParams` both fit. */
export interface RequestValues {
  get(name: string): string | null;
}

/** What negotiate knows about the request it answers, for routers that choose by it (e.g. a region header). */
export interface NegotiateContext {
  /** The hub, as given (not lower-cased). */
  readonly hub: string;
  readonly userId?: string;
  /** The HTTP request's headers and query; absent when negotiate does not answer an HTTP request (e.g. Dapr). */
  readonly headers?: RequestValues;
  readonly query?: RequestValues;
}

export interface EndpointRouter {
  /** The endpoint a client is sent to; `undefined` lets the default choose. */
  getNegotiateEndpoint(context: NegotiateContext, endpoints: readonly RoutableEndpoint[]): RoutableEndpoint | undefined;
  getEndpointsForBroadcast(endpoints: readonly RoutableEndpoint[]): readonly RoutableEndpoint[];
  getEndpointsForUser(userId: string, endpoints: readonly RoutableEndpoint[]): readonly RoutableEndpoint[];
  getEndpointsForGroup(groupName: string, endpoints: readonly RoutableEndpoint[]): readonly RoutableEndpoint[];
  getEndpointsForConnection(connectionId: string, endpoints: readonly RoutableEndpoint[]): readonly RoutableEndpoint[];
}

function onlineOrAll(endpoints: readonly RoutableEndpoint[]): readonly RoutableEndpoint[] {
  const online = endpoints.filter((endpoint) => endpoint.online);
  return online.length > 0 ? online : endpoints;
}

/** The default router; `random` (in [0, 1)) is injectable for tests. */
export function createDefaultEndpointRouter(random: () => number = Math.random): EndpointRouter {
  const pick = (candidates: readonly RoutableEndpoint[]): RoutableEndpoint | undefined =>
    candidates.length === 0 ? undefined : candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))];
  return {
    getNegotiateEndpoint: (_context, endpoints) =>
      pick(endpoints.filter((e) => e.online && e.type === 'primary')) ??
      pick(endpoints.filter((e) => e.online && e.type === 'secondary')) ??
      pick(endpoints.filter((e) => e.type === 'primary')) ??
      pick(endpoints),
    getEndpointsForBroadcast: onlineOrAll,
    getEndpointsForUser: (_userId, endpoints) => onlineOrAll(endpoints),
    getEndpointsForGroup: (_groupName, endpoints) => onlineOrAll(endpoints),
    getEndpointsForConnection: (_connectionId, endpoints) => onlineOrAll(endpoints),
  };
}

export const defaultEndpointRouter: EndpointRouter = createDefaultEndpointRouter();

/** An app's (partial) router completed with the default for every method it leaves out. */
export function completeRouter(router: Partial<EndpointRouter> | undefined, fallback: EndpointRouter = defaultEndpointRouter): EndpointRouter {
  if (router === undefined) return fallback;
  return {
    getNegotiateEndpoint: (context, endpoints) =>
      router.getNegotiateEndpoint?.call(router, context, endpoints) ?? fallback.getNegotiateEndpoint(context, endpoints),
    getEndpointsForBroadcast: (endpoints) => (router.getEndpointsForBroadcast ?? fallback.getEndpointsForBroadcast).call(router, endpoints),
    getEndpointsForUser: (userId, endpoints) => (router.getEndpointsForUser ?? fallback.getEndpointsForUser).call(router, userId, endpoints),
    getEndpointsForGroup: (group, endpoints) => (router.getEndpointsForGroup ?? fallback.getEndpointsForGroup).call(router, group, endpoints),
    getEndpointsForConnection: (id, endpoints) => (router.getEndpointsForConnection ?? fallback.getEndpointsForConnection).call(router, id, endpoints),
  };
}

/** A router's error: it returned something that is not one of the endpoints it was given. */
export class EndpointRoutingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointRoutingError';
  }
}

/** Maps a router's answer for `operation` back onto the service's own endpoints, refusing foreign objects and an empty choice. */
export function routedSubset<E extends RoutableEndpoint>(chosen: readonly RoutableEndpoint[], endpoints: readonly E[], operation: string): E[] {
  if (!Array.isArray(chosen)) throw new EndpointRoutingError(`the endpoint router did not return an array of endpoints for ${operation}`);
  const result: E[] = [];
  for (const candidate of chosen) {
    const own = endpoints.find((endpoint) => endpoint === candidate);
    if (own === undefined) throw new EndpointRoutingError(`the endpoint router returned, for ${operation}, an endpoint that is not one of those it was given`);
    if (!result.includes(own)) result.push(own);
  }
  if (result.length === 0) {
    // The official SDK drops the message with a warning; a message silently sent nowhere is lost data.
    throw new EndpointRoutingError(`the endpoint router returned no endpoint for ${operation}, so it would reach no client (endpoints: ${endpoints.map(describeEndpoint).join(', ')})`);
  }
  return result;
}
