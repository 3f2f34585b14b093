/**
 * The contract between the emulator's REST API layer and its hub state (connections, users, groups).
 * The REST layer validates names, tokens and bodies, then calls exactly one of these methods.
 * `hub` is always the normalised hub key: lower-cased, prefixed with `${application}_` when the
 * request carried `application`.
 */
export interface HubMessage {
  target: string;
  arguments: unknown[];
  /**
   * The message already framed per hub protocol, when the sender sent it so (a binary REST send): clients of that
   * protocol get exactly these bytes.
   */
  frames?: Readonly<Partial<Record<'json' | 'messagepack', Buffer>>>;
}

export interface ServiceCore {
  /** Broadcast to every connection of the hub except `excluded` connection ids. */
  broadcast(hub: string, message: HubMessage, excluded?: readonly string[]): void;
  sendToUser(hub: string, userId: string, message: HubMessage): void;
  sendToGroup(hub: string, group: string, message: HubMessage, excluded?: readonly string[]): void;
  /** Returns false when the connection does not exist in that hub. */
  sendToConnection(hub: string, connectionId: string, message: HubMessage): boolean;

  connectionExists(hub: string, connectionId: string): boolean;
  userExists(hub: string, userId: string): boolean;
  groupExists(hub: string, group: string): boolean;
  userInGroup(hub: string, userId: string, group: string): boolean;

  /** Closes with a Close message carrying `reason`; returns false when not found. */
  closeConnection(hub: string, connectionId: string, reason?: string): boolean;
  closeAll(hub: string, excluded?: readonly string[], reason?: string): void;
  closeGroup(hub: string, group: string, excluded?: readonly string[], reason?: string): void;
  closeUser(hub: string, userId: string, excluded?: readonly string[], reason?: string): void;

  /** Returns false when the connection does not exist in that hub. */
  addConnectionToGroup(hub: string, group: string, connectionId: string): boolean;
  /** Returns false when the connection does not exist or is not in the group. */
  removeConnectionFromGroup(hub: string, group: string, connectionId: string): boolean;
  /** Returns false when the connection does not exist. */
  removeConnectionFromAllGroups(hub: string, connectionId: string): boolean;

  /**
   * Applies to the user's current connections and to connections it opens later.
   * `ttlSeconds` undefined: kept (up to a year); 0: only the currently connected connections.
   */
  addUserToGroup(hub: string, userId: string, group: string, ttlSeconds?: number): void;
  removeUserFromGroup(hub: string, userId: string, group: string): void;
  removeUserFromAllGroups(hub: string, userId: string): void;
}
