/**
 * What the binding adapter needs from the Azure SignalR Service data-plane REST API (2022-06-01).
 * `SignalRRestClient` (src/client/rest/client.ts) implements it over axios; the adapter depends only on this
 * interface so tests can point it at any real HTTP server.
 *
 * Hub names are validated and lower-cased by the implementation; every path segment is encoded.
 * Every method rejects with a `SignalRServiceError` (src/client/rest/errors.ts) carrying the HTTP status and
 * the `x-ms-error-code` header when the service answers with an unexpected status, or with a
 * `SignalRNetworkError` / `SignalRTimeoutError` when it cannot be reached in time.
 */
export interface SendPayload {
  target: string;
  arguments: unknown[];
}

export interface CallOptions {
  /** Per-call timeout in milliseconds, overriding the client's default. */
  timeoutMs?: number;
  /** Aborts the call (and any retry wait). */
  signal?: AbortSignal;
}

export interface SignalRRestApi {
  /** HEAD /api/health: resolves true on 200. */
  isServiceHealthy(options?: CallOptions): Promise<boolean>;

  broadcast(hub: string, payload: SendPayload, excluded?: readonly string[], options?: CallOptions): Promise<void>;
  sendToUser(hub: string, userId: string, payload: SendPayload, options?: CallOptions): Promise<void>;
  sendToGroup(hub: string, group: string, payload: SendPayload, excluded?: readonly string[], options?: CallOptions): Promise<void>;
  sendToConnection(hub: string, connectionId: string, payload: SendPayload, options?: CallOptions): Promise<void>;

  connectionExists(hub: string, connectionId: string, options?: CallOptions): Promise<boolean>;
  userExists(hub: string, userId: string, options?: CallOptions): Promise<boolean>;
  groupExists(hub: string, group: string, options?: CallOptions): Promise<boolean>;
  userInGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<boolean>;

  closeConnection(hub: string, connectionId: string, reason?: string, options?: CallOptions): Promise<void>;
  closeAllConnections(hub: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void>;
  closeGroupConnections(hub: string, group: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void>;
  closeUserConnections(hub: string, userId: string, excluded?: readonly string[], reason?: string, options?: CallOptions): Promise<void>;

  addConnectionToGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void>;
  removeConnectionFromGroup(hub: string, group: string, connectionId: string, options?: CallOptions): Promise<void>;
  removeConnectionFromAllGroups(hub: string, connectionId: string, options?: CallOptions): Promise<void>;
  /** `ttlSeconds` undefined: no expiry (the service keeps it up to a year); 0: current connections only. */
  addUserToGroup(hub: string, userId: string, group: string, ttlSeconds?: number, options?: CallOptions): Promise<void>;
  removeUserFromGroup(hub: string, userId: string, group: string, options?: CallOptions): Promise<void>;
  removeUserFromAllGroups(hub: string, userId: string, options?: CallOptions): Promise<void>;
}
