import { systemClock, MAX_TIMER_DELAY_MS, type Clock } from './clock';
import { Hub, type HubMember, type UserGroupEntry } from './hub';
import { OutboundMessage } from './outboundMessage';
import { MessageType } from '../protocol/messages';
import type { HubMessage, ServiceCore } from './serviceCore';

export type { HubMember };

/** Without a ttl the service keeps a user's group membership for up to a year. */
const DEFAULT_USER_GROUP_TTL_MS = 365 * 24 * 3600 * 1000;

export interface HubStateStats {
  hubs: number;
  connections: number;
  users: number;
  groups: number;
  userGroupEntries: number;
  userGroupTimers: number;
}

/**
 * Hub state of the emulator: connections, users and groups per hub (hub.ts keeps the indexes), the service's
 * operations on them, and the expiry of users' standing group memberships on the injected clock.
 */
export class HubState implements ServiceCore {
  private readonly hubs = new Map<string, Hub>();

  constructor(private readonly clock: Clock = systemClock) {}

  // ---- connection lifetime (called by the client endpoint) ----

  addConnection(hubName: string, member: HubMember): void {
    const hub = this.hubOrCreate(hubName);
    hub.addMember(member);
    if (member.userId === undefined) return;
    const standing = hub.userGroups.get(member.userId);
    if (standing) {
      for (const [group, entry] of standing) {
        if (entry.expiresAt > this.clock.now()) hub.joinGroup(group, member.connectionId);
      }
    }
  }

  removeConnection(hubName: string, connectionId: string): void {
    const hub = this.hubs.get(hubName);
    if (hub?.removeMember(connectionId)) this.dropHubIfEmpty(hubName, hub);
  }

  // ---- sends ----

  broadcast(hubName: string, message: HubMessage, excluded?: readonly string[]): void {
    const hub = this.hubs.get(hubName);
    if (!hub) return;
    const outbound = toOutbound(message);
    const skip = toSet(excluded);
    // Straight over the entries: the hot path of a broadcast, with no index lookup per recipient.
    for (const [connectionId, entry] of hub.connections) {
      if (!skip?.has(connectionId)) entry.member.deliver(outbound);
    }
  }

  sendToUser(hubName: string, userId: string, message: HubMessage): void {
    const hub = this.hubs.get(hubName);
    const connectionIds = hub?.users.get(userId);
    if (hub && connectionIds) this.deliverTo(hub, connectionIds, toOutbound(message), undefined);
  }

  sendToGroup(hubName: string, group: string, message: HubMessage, excluded?: readonly string[]): void {
    const hub = this.hubs.get(hubName);
    const connectionIds = hub?.groups.get(group);
    if (hub && connectionIds) this.deliverTo(hub, connectionIds, toOutbound(message), toSet(excluded));
  }

  sendToConnection(hubName: string, connectionId: string, message: HubMessage): boolean {
    const entry = this.hubs.get(hubName)?.connections.get(connectionId);
    if (!entry) return false;
    entry.member.deliver(toOutbound(message));
    return true;
  }

  // ---- existence ----

  connectionExists(hubName: string, connectionId: string): boolean {
    return this.hubs.get(hubName)?.connections.has(connectionId) ?? false;
  }

  userExists(hubName: string, userId: string): boolean {
    return this.hubs.get(hubName)?.users.has(userId) ?? false;
  }

  groupExists(hubName: string, group: string): boolean {
    return this.hubs.get(hubName)?.groups.has(group) ?? false;
  }

  userInGroup(hubName: string, userId: string, group: string): boolean {
    const hub = this.hubs.get(hubName);
    if (!hub) return false;
    const entry = hub.userGroups.get(userId)?.get(group);
    if (entry && entry.expiresAt > this.clock.now()) return true;
    const members = hub.groups.get(group);
    const userConnections = hub.users.get(userId);
    if (!members || !userConnections) return false;
    for (const connectionId of userConnections) if (members.has(connectionId)) return true;
    return false;
  }

  // ---- closing ----

  closeConnection(hubName: string, connectionId: string, reason?: string): boolean {
    const entry = this.hubs.get(hubName)?.connections.get(connectionId);
    if (!entry) return false;
    entry.member.close(reason);
    return true;
  }

  closeAll(hubName: string, excluded?: readonly string[], reason?: string): void {
    const hub = this.hubs.get(hubName);
    if (hub) this.closeMembers(hub, hub.connections.keys(), toSet(excluded), reason);
  }

  closeGroup(hubName: string, group: string, excluded?: readonly string[], reason?: string): void {
    const hub = this.hubs.get(hubName);
    const members = hub?.groups.get(group);
    if (hub && members) this.closeMembers(hub, members, toSet(excluded), reason);
  }

  closeUser(hubName: string, userId: string, excluded?: readonly string[], reason?: string): void {
    const hub = this.hubs.get(hubName);
    const connectionIds = hub?.users.get(userId);
    if (hub && connectionIds) this.closeMembers(hub, connectionIds, toSet(excluded), reason);
  }

  // ---- connection groups ----

  addConnectionToGroup(hubName: string, group: string, connectionId: string): boolean {
    const hub = this.hubs.get(hubName);
    if (!hub?.connections.has(connectionId)) return false;
    hub.joinGroup(group, connectionId);
    return true;
  }

  removeConnectionFromGroup(hubName: string, group: string, connectionId: string): boolean {
    return this.hubs.get(hubName)?.leaveGroup(group, connectionId) ?? false;
  }

  removeConnectionFromAllGroups(hubName: string, connectionId: string): boolean {
    return this.hubs.get(hubName)?.leaveAllGroups(connectionId) ?? false;
  }

  // ---- user groups ----

  addUserToGroup(hubName: string, userId: string, group: string, ttlSeconds?: number): void {
    const hub = this.hubOrCreate(hubName);
    for (const connectionId of hub.users.get(userId) ?? []) hub.joinGroup(group, connectionId);
    this.clearUserGroupEntry(hub, userId, group);
    if (ttlSeconds === 0) {
      // ttl 0: only the connections the user has right now.
      this.dropHubIfEmpty(hubName, hub);
      return;
    }
    const ttlMs = ttlSeconds === undefined ? DEFAULT_USER_GROUP_TTL_MS : ttlSeconds * 1000;
    let standing = hub.userGroups.get(userId);
    if (!standing) {
      standing = new Map();
      hub.userGroups.set(userId, standing);
    }
    const entry: UserGroupEntry = { expiresAt: this.clock.now() + ttlMs, cancelExpiry: undefined };
    standing.set(group, entry);
    this.armExpiry(hubName, userId, group, entry);
  }

  removeUserFromGroup(hubName: string, userId: string, group: string): void {
    const hub = this.hubs.get(hubName);
    if (!hub) return;
    this.clearUserGroupEntry(hub, userId, group);
    hub.removeUserConnectionsFromGroup(userId, group);
    this.dropHubIfEmpty(hubName, hub);
  }

  removeUserFromAllGroups(hubName: string, userId: string): void {
    const hub = this.hubs.get(hubName);
    if (!hub) return;
    const standing = hub.userGroups.get(userId);
    if (standing) for (const group of [...standing.keys()]) this.clearUserGroupEntry(hub, userId, group);
    for (const connectionId of hub.users.get(userId) ?? []) hub.leaveAllGroups(connectionId);
    this.dropHubIfEmpty(hubName, hub);
  }

  // ---- stats (tests and benchmarks) ----

  connectionCount(hubName?: string): number {
    if (hubName !== undefined) return this.hubs.get(hubName)?.connections.size ?? 0;
    let total = 0;
    for (const hub of this.hubs.values()) total += hub.connections.size;
    return total;
  }

  stats(): HubStateStats {
    const stats: HubStateStats = { hubs: this.hubs.size, connections: 0, users: 0, groups: 0, userGroupEntries: 0, userGroupTimers: 0 };
    for (const hub of this.hubs.values()) {
      stats.connections += hub.connections.size;
      stats.users += hub.users.size;
      stats.groups += hub.groups.size;
      for (const standing of hub.userGroups.values()) {
        stats.userGroupEntries += standing.size;
        for (const entry of standing.values()) if (entry.cancelExpiry) stats.userGroupTimers++;
      }
    }
    return stats;
  }

  /** Stops every ttl timer and forgets all state (the emulator is shutting down). */
  dispose(): void {
    for (const hub of this.hubs.values()) {
      for (const standing of hub.userGroups.values()) {
        for (const entry of standing.values()) entry.cancelExpiry?.();
      }
    }
    this.hubs.clear();
  }

  // ---- internals ----

  private hubOrCreate(hubName: string): Hub {
    let hub = this.hubs.get(hubName);
    if (!hub) {
      hub = new Hub();
      this.hubs.set(hubName, hub);
    }
    return hub;
  }

  private dropHubIfEmpty(hubName: string, hub: Hub): void {
    if (hub.isEmpty() && this.hubs.get(hubName) === hub) this.hubs.delete(hubName);
  }

  private deliverTo(hub: Hub, connectionIds: Iterable<string>, outbound: OutboundMessage, skip: Set<string> | undefined): void {
    for (const connectionId of connectionIds) {
      if (skip?.has(connectionId)) continue;
      hub.connections.get(connectionId)?.member.deliver(outbound);
    }
  }

  private closeMembers(hub: Hub, connectionIds: Iterable<string>, skip: Set<string> | undefined, reason: string | undefined): void {
    // Closing removes members from the very sets being iterated, so take a snapshot first.
    const targets: HubMember[] = [];
    for (const connectionId of connectionIds) {
      if (skip?.has(connectionId)) continue;
      const entry = hub.connections.get(connectionId);
      if (entry) targets.push(entry.member);
    }
    for (const member of targets) member.close(reason);
  }

  private clearUserGroupEntry(hub: Hub, userId: string, group: string): void {
    const standing = hub.userGroups.get(userId);
    const entry = standing?.get(group);
    if (!standing || !entry) return;
    entry.cancelExpiry?.();
    standing.delete(group);
    if (standing.size === 0) hub.userGroups.delete(userId);
  }

  /** When a ttl ends the user's connections leave the group and the standing entry goes away. */
  private armExpiry(hubName: string, userId: string, group: string, entry: UserGroupEntry): void {
    const delay = Math.max(0, entry.expiresAt - this.clock.now());
    entry.cancelExpiry = this.clock.schedule(() => {
      entry.cancelExpiry = undefined;
      const hub = this.hubs.get(hubName);
      if (!hub || hub.userGroups.get(userId)?.get(group) !== entry) return;
      if (entry.expiresAt > this.clock.now()) {
        // Longer than one timer can wait: schedule the rest.
        this.armExpiry(hubName, userId, group, entry);
        return;
      }
      this.clearUserGroupEntry(hub, userId, group);
      hub.removeUserConnectionsFromGroup(userId, group);
      this.dropHubIfEmpty(hubName, hub);
    }, Math.min(delay, MAX_TIMER_DELAY_MS));
  }
}

function toOutbound(message: HubMessage): OutboundMessage {
  return new OutboundMessage({ type: MessageType.Invocation, target: message.target, arguments: message.arguments }, message.frames);
}

function toSet(ids: readonly string[] | undefined): Set<string> | undefined {
  return ids && ids.length > 0 ? new Set(ids) : undefined;
}
