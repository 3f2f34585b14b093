/**
 * `SignalRRestApi` over several SignalR Service instances: what `service.rest` is when a connection setting has
 * more than one endpoint. The binding adapter calls it exactly as it calls a single instance's client.
 *
 * - Every call goes to the endpoints the router picks (by default every online one; research notes, section D),
 *   or to the call's own `endpoints`, online or not (as the official `WithEndpoints`). A user's or a group's
 *   connections may be on any instance, so sends and group changes go to all of them, concurrently: a call takes
 *   as long as its slowest endpoint, not the sum.
 * - A call succeeds when every endpoint it went to accepted it. Otherwise, once all have answered, it rejects with
 *   a SignalREndpointsError naming each failed endpoint and what happened, and those that accepted (nothing is
 *   rolled back); each failed endpoint is health-checked at once, so a dead one drops out of the next calls.
 * - Existence checks answer true when any endpoint says so; false only when all answered and none did.
 * - A connection lives on one instance, and the others answer 404 to adding it to a group: that answer means
 *   "not here", and the call succeeds when one endpoint accepted it (404 when none has the connection).
 * - A user-group change goes to the endpoints the router gives for both the user and the group (official rule).
 * - `isServiceHealthy` checks every endpoint now and answers true when at least one is online.
 * - An argument the service rules refuse is refused before anything is sent, with the single client's error.
 */
import { ServiceRuleError } from '../../contract';
import { SignalRBusyError, SignalRServiceError } from '../rest/errors';
import type { CallOptions, CloseManyOptions, CloseOptions, ExcludingOptions, SendPayload, SignalRRestApi, UserGroupOptions } from '../rest/restApi';
import { SignalREndpointsError, type EndpointFailure } from './errors';
import type { EndpointIdentity } from './identity';
import { completeRouter, EndpointRoutingError, routedSubset, type EndpointRouter, type RoutableEndpoint } from './router';
import type { ServiceEndpoint } from './serviceEndpoint';

export interface FanOutMember {
  readonly endpoint: ServiceEndpoint;
  /** Checks the endpoint's health now, in the background: a call to it just failed. */
  recheck(): void;
  /** Checks the endpoint's health now; resolves once its state reflects the answer. */
  checkNow(): Promise<void>;
}

type Route = (router: EndpointRouter, endpoints: readonly RoutableEndpoint[]) => readonly RoutableEndpoint[];

interface Settled<T> {
  results: Array<{ member: FanOutMember; value: T }>;
  failures: Array<{ member: FanOutMember; error: unknown }>;
}

const forBroadcast: Route = (router, endpoints) => router.getEndpointsForBroadcast(endpoints);
const forUser = (userId: string): Route => (router, endpoints) => router.getEndpointsForUser(userId, endpoints);
const forGroup = (group: string): Route => (router, endpoints) => router.getEndpointsForGroup(group, endpoints);
const forConnection = (connectionId: string): Route => (router, endpoints) => router.getEndpointsForConnection(connectionId, endpoints);
const forUserInGroup = (userId: string, group: string): Route => (router, endpoints) => {
  const groupEndpoints = router.getEndpointsForGroup(group, endpoints);
  return router.getEndpointsForUser(userId, endpoints).filter((endpoint) => groupEndpoints.includes(endpoint));
};

/** The service's answer "that connection is not on this instance". */
function isConnectionNotHere(error: unknown): boolean {
  return error instanceof SignalRServiceError && error.status === 404;
}

export class FanOutRestApi implements SignalRRestApi {
  private readonly endpoints: readonly ServiceEndpoint[];
  private readonly byEndpoint: ReadonlyMap<ServiceEndpoint, FanOutMember>;

  constructor(
    private readonly members: readonly FanOutMember[],
    private readonly router: EndpointRouter,
  ) {
    this.endpoints = members.map((member) => member.endpoint);
    this.byEndpoint = new Map(members.map((member) => [member.endpoint, member]));
  }

  async isServiceHealthy(): Promise<boolean> {
    await Promise.all(this.members.map((member) => member.checkNow()));
    return this.endpoints.some((endpoint) => endpoint.online);
  }

  broadcast(hub: string, payload: SendPayload, options?: ExcludingOptions): Promise<void> {
    return this.everywhere('broadcast', hub, options, forBroadcast, (rest) => rest.broadcast(hub, payload, options));
  }

  sendToUser(hub: string, userId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    return this.everywhere('sendToUser', hub, options, forUser(userId), (rest) => rest.sendToUser(hub, userId, payload, options));
  }

  sendToGroup(hub: string, group: string, payload: SendPayload, options?: ExcludingOptions): Promise<void> {
    return this.everywhere('sendToGroup', hub, options, forGroup(group), (rest) => rest.sendToGroup(hub, group, payload, options));
  }

  /** The service accepts a send to a connection it does not have (202), so every routed endpoint must accept it. */
  sendToConnection(hub: string, connectionId: string, payload: SendPayload, options?: CallOptions): Promise<void> {
    return this.everywhere('sendToConnection', hub, options, forConnection(connectionId), (rest) => rest.sendToConnection(hub, connectionId, payload, options));
  }

  connectionExists(hub: string, connectionId: string, options?: CallOptions): Promise<boolean> {
    return this.anyTrue('connectionExists', hub, options, forConnection(connectionId), (rest) => rest.connectionExists(hub, connectionId, options));
  }

  userExists(hub: string, userId: string, options?: CallOptions): Promise<boolean> {
    return this.anyTrue('userExists', hub, options, forUser(userId), (rest) => rest.userExists(hub, userId, options));
  }

  groupExists(hub: string, group: string, options?: CallOptions): Promise<boolean> {
    return this.anyTrue('groupExists', hub, options, forGroup(group), (rest) => rest.groupExists(hub, group, options));
  }

  userInGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<boolean> {
    return this.anyTrue('userInGroup', hub, options, forUserInGroup(userId, group), (rest) => rest.userInGroup(hub, userId, group, options));
  }

  closeConnection(hub: string, connectionId: string, options?: CloseOptions): Promise<void> {
    return this.everywhere('closeConnection', hub, options, forConnection(connectionId), (rest) => rest.closeConnection(hub, connectionId, options));
  }

  closeAllConnections(hub: string, options?: CloseManyOptions): Promise<void> {
    return this.everywhere('closeAllConnections', hub, options, forBroadcast, (rest) => rest.closeAllConnections(hub, options));
  }

  closeGroupConnections(hub: string, group: string, options?: CloseManyOptions): Promise<void> {
    return this.everywhere('closeGroupConnections', hub, options, forGroup(group), (rest) => rest.closeGroupConnections(hub, group, options));
  }

  closeUserConnections(hub: string, userId: string, options?: CloseManyOptions): Promise<void> {
    return this.everywhere('closeUserConnections', hub, options, forUser(userId), (rest) => rest.closeUserConnections(hub, userId, options));
  }

  /** The connection is on one instance; the others answer 404, which here only means "not on this one". */
  async addConnectionToGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    const targets = this.targets(options, 'addConnectionToGroup', forGroup(group));
    const settled = await this.settle(targets, (rest) => rest.addConnectionToGroup(hub, group, connectionId, options));
    const failures = settled.failures.filter((failure) => !isConnectionNotHere(failure.error));
    this.recheck(failures);
    if (settled.results.length > 0) return;
    this.fail('addConnectionToGroup', hub, options, settled.failures, []);
  }

  /** The service answers 200 for a connection that is not in the group (or not on that instance). */
  removeConnectionFromGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void> {
    return this.everywhere('removeConnectionFromGroup', hub, options, forGroup(group), (rest) => rest.removeConnectionFromGroup(hub, group, connectionId, options));
  }

  removeConnectionFromAllGroups(hub: string, connectionId: string, options?: CallOptions): Promise<void> {
    return this.everywhere('removeConnectionFromAllGroups', hub, options, forConnection(connectionId), (rest) => rest.removeConnectionFromAllGroups(hub, connectionId, options));
  }

  addUserToGroup(hub: string, userId: string, group: string, options?: UserGroupOptions): Promise<void> {
    return this.everywhere('addUserToGroup', hub, options, forUserInGroup(userId, group), (rest) => rest.addUserToGroup(hub, userId, group, options));
  }

  removeUserFromGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<void> {
    return this.everywhere('removeUserFromGroup', hub, options, forUserInGroup(userId, group), (rest) => rest.removeUserFromGroup(hub, userId, group, options));
  }

  removeUserFromAllGroups(hub: string, userId: string, options?: CallOptions): Promise<void> {
    return this.everywhere('removeUserFromAllGroups', hub, options, forUser(userId), (rest) => rest.removeUserFromAllGroups(hub, userId, options));
  }

  /** Every target must accept the call. */
  private async everywhere(operation: string, hub: string, options: CallOptions | undefined, route: Route, call: (rest: SignalRRestApi) => Promise<void>): Promise<void> {
    const settled = await this.settle(this.targets(options, operation, route), call);
    if (settled.failures.length === 0) return;
    this.recheck(settled.failures);
    this.fail(operation, hub, options, settled.failures, settled.results);
  }

  /** True as soon as the answers are in and one is true; an endpoint that could not answer only matters when none said true. */
  private async anyTrue(operation: string, hub: string, options: CallOptions | undefined, route: Route, call: (rest: SignalRRestApi) => Promise<boolean>): Promise<boolean> {
    const settled = await this.settle(this.targets(options, operation, route), call);
    this.recheck(settled.failures);
    if (settled.results.some((result) => result.value)) return true;
    if (settled.failures.length === 0) return false;
    this.fail(operation, hub, options, settled.failures, settled.results);
  }

  private targets(options: CallOptions | undefined, operation: string, route: Route): FanOutMember[] {
    if (options?.endpoints !== undefined) return this.chosen(options.endpoints);
    const router = completeRouter(options?.router, this.router);
    return routedSubset(route(router, this.endpoints), this.endpoints, operation).map((endpoint) => this.byEndpoint.get(endpoint) as FanOutMember);
  }

  /** The call's own endpoints: this service's endpoint objects, or identities matched by URL. */
  private chosen(identities: readonly EndpointIdentity[]): FanOutMember[] {
    if (identities.length === 0) throw new EndpointRoutingError('the call names no endpoint (leave `endpoints` out to use the routed ones)');
    const members = new Set<FanOutMember>();
    for (const identity of identities) {
      const member = this.members.find((m) => m.endpoint === identity || m.endpoint.endpoint === identity.endpoint);
      if (member === undefined) throw new EndpointRoutingError(`the call names an endpoint this service does not have: ${identity.endpoint}`);
      members.add(member);
    }
    return [...members];
  }

  private async settle<T>(targets: readonly FanOutMember[], call: (rest: SignalRRestApi) => Promise<T>): Promise<Settled<T>> {
    const outcomes = await Promise.allSettled(targets.map((member) => call(member.endpoint.rest)));
    const settled: Settled<T> = { results: [], failures: [] };
    outcomes.forEach((outcome, index) => {
      const member = targets[index] as FanOutMember;
      if (outcome.status === 'fulfilled') settled.results.push({ member, value: outcome.value });
      else settled.failures.push({ member, error: outcome.reason });
    });
    return settled;
  }

  /**
   * A failed call may mean a dead instance: check it now. A call refused locally (a bad argument, or this app's own
   * limit of calls in flight) reached no instance and says nothing about its health.
   */
  private recheck(failures: Settled<unknown>['failures']): void {
    for (const failure of failures) {
      if (!(failure.error instanceof ServiceRuleError) && !(failure.error instanceof SignalRBusyError)) failure.member.recheck();
    }
  }

  private fail(operation: string, hub: string, options: CallOptions | undefined, failures: Settled<unknown>['failures'], results: Settled<unknown>['results']): never {
    // The caller's own abort is its answer, as with a single endpoint.
    if (options?.signal?.aborted === true) throw options.signal.reason;
    // Refused before sending on every endpoint (a bad id, a message over 1 MB): the single client's error says it best.
    if (results.length === 0 && failures.every((failure) => failure.error instanceof ServiceRuleError)) throw failures[0]?.error;
    const named: EndpointFailure[] = failures.map((failure) => ({ endpoint: failure.member.endpoint, error: failure.error }));
    throw new SignalREndpointsError(operation, hub, named, results.map((result) => result.member.endpoint));
  }
}
