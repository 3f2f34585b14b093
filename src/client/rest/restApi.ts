/**
 * What the binding adapter needs from the Azure SignalR Service data-plane REST API (2022-06-01).
 * `SignalRRestClient` (client.ts) implements it over axios; the adapter depends only on this interface so tests
 * can point it at any real HTTP server.
 *
 * Hub names are validated and lower-cased by the implementation; every path segment is encoded. Every method
 * rejects with a `ServiceRuleError` (src/contract) before sending when an argument breaks a service rule, with a
 * `SignalRServiceError` (errors.ts) carrying the HTTP status and the `x-ms-error-code` header when the service
 * answers with an error, or with a `SignalRNetworkError` / `SignalRTimeoutError` when it cannot be reached in time.
 * Optional parameters (`excluded`, `reason`, `ttlSeconds`, the abort signal, and with several endpoints the
 * endpoint choice) travel in an options bag.
 *
 * A service with several endpoints implements it too (src/client/endpoints/fanOutRestApi.ts): the adapter does not
 * know how many instances stand behind it.
 */
import type { RestMessage } from '../../contract';
import type { EndpointIdentity } from '../endpoints/identity';
import type { EndpointRouter } from '../endpoints/router';

export type SendPayload = RestMessage;

export interface CallOptions {
  /** Per-call time budget in milliseconds, retries included, overriding the client's default. */
  timeoutMs?: number;
  /** Aborts the call (and any retry wait). */
  signal?: AbortSignal;
  /**
   * With several endpoints: make the call on exactly these (matched by `endpoint` URL), online or not, instead of
   * the routed ones. A single endpoint's client ignores it.
   */
  endpoints?: readonly EndpointIdentity[];
  /** With several endpoints: the router for this call; methods it leaves out route as by default. */
  router?: Partial<EndpointRouter>;
}

export interface ExcludingOptions extends CallOptions {
  /** Connection ids that must not receive the message or be closed. */
  excluded?: readonly string[];
}

export interface CloseOptions extends CallOptions {
  /** Sent to the client in its Close message. */
  reason?: string;
}

export interface CloseManyOptions extends CloseOptions {
  excluded?: readonly string[];
}

export interface UserGroupOptions extends CallOptions {
  /** Undefined: no expiry (the service keeps it up to a year); 0: the user's current connections only. */
  ttlSeconds?: number;
}

export interface SignalRRestApi {
  /** HEAD /api/health: resolves true on 200. */
  isServiceHealthy(options?: CallOptions): Promise<boolean>;

  broadcast(hub: string, payload: SendPayload, options?: ExcludingOptions): Promise<void>;
  sendToUser(hub: string, userId: string, payload: SendPayload, options?: CallOptions): Promise<void>;
  sendToGroup(hub: string, group: string, payload: SendPayload, options?: ExcludingOptions): Promise<void>;
  sendToConnection(hub: string, connectionId: string, payload: SendPayload, options?: CallOptions): Promise<void>;

  connectionExists(hub: string, connectionId: string, options?: CallOptions): Promise<boolean>;
  userExists(hub: string, userId: string, options?: CallOptions): Promise<boolean>;
  groupExists(hub: string, group: string, options?: CallOptions): Promise<boolean>;
  userInGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<boolean>;

  closeConnection(hub: string, connectionId: string, options?: CloseOptions): Promise<void>;
  closeAllConnections(hub: string, options?: CloseManyOptions): Promise<void>;
  closeGroupConnections(hub: string, group: string, options?: CloseManyOptions): Promise<void>;
  closeUserConnections(hub: string, userId: string, options?: CloseManyOptions): Promise<void>;

  addConnectionToGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void>;
  removeConnectionFromGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void>;
  removeConnectionFromAllGroups(hub: string, connectionId: string, options?: CallOptions): Promise<void>;
  addUserToGroup(hub: string, userId: string, group: string, options?: UserGroupOptions): Promise<void>;
  removeUserFromGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<void>;
  removeUserFromAllGroups(hub: string, userId: string, options?: CallOptions): Promise<void>;
}
