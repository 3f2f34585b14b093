/**
 * One hub's indexes: its connections, each user's connections, each group's members, and users' standing
 * group memberships. Every lookup the hub state makes is a map access, so a send costs O(recipients) whatever
 * the number of groups or users in the hub.
 */
import type { OutboundMessage } from './outboundMessage';

/** What the hub state needs from a live client connection. */
export interface HubMember {
  readonly connectionId: string;
  readonly userId: string | undefined;
  /** Queues one message for the client, in call order. */
  deliver(message: OutboundMessage): void;
  /** Sends a Close message carrying `reason` and ends the connection; the member then leaves the hub. */
  close(reason: string | undefined): void;
}

/** A user's standing membership, applied to connections the user opens later, until it expires. */
export interface UserGroupEntry {
  expiresAt: number;
  cancelExpiry: (() => void) | undefined;
}

interface MemberEntry {
  member: HubMember;
  /**
   * Groups this connection is in; mirrors Hub.groups so leaving is O(groups of the connection). Created on the
   * first join: most connections of a large hub are in no group, and an empty Set each costs ~100 bytes.
   */
  groups: Set<string> | undefined;
}

export class Hub {
  readonly connections = new Map<string, MemberEntry>();
  readonly users = new Map<string, Set<string>>();
  readonly groups = new Map<string, Set<string>>();
  readonly userGroups = new Map<string, Map<string, UserGroupEntry>>();

  isEmpty(): boolean {
    return this.connections.size === 0 && this.userGroups.size === 0;
  }

  addMember(member: HubMember): void {
    this.connections.set(member.connectionId, { member, groups: undefined });
    if (member.userId === undefined) return;
    let userConnections = this.users.get(member.userId);
    if (!userConnections) {
      userConnections = new Set();
      this.users.set(member.userId, userConnections);
    }
    userConnections.add(member.connectionId);
  }

  /** Removes the connection from every index; false when it was not here. */
  removeMember(connectionId: string): boolean {
    const entry = this.connections.get(connectionId);
    if (!entry) return false;
    for (const group of entry.groups ?? []) this.leaveGroupIndex(group, connectionId);
    this.connections.delete(connectionId);
    const userId = entry.member.userId;
    if (userId !== undefined) {
      const userConnections = this.users.get(userId);
      userConnections?.delete(connectionId);
      if (userConnections?.size === 0) this.users.delete(userId);
    }
    return true;
  }

  joinGroup(group: string, connectionId: string): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    let members = this.groups.get(group);
    if (!members) {
      members = new Set();
      this.groups.set(group, members);
    }
    members.add(connectionId);
    (entry.groups ??= new Set()).add(group);
  }

  /** False when the connection is unknown or not in the group. */
  leaveGroup(group: string, connectionId: string): boolean {
    const entry = this.connections.get(connectionId);
    if (!entry?.groups?.delete(group)) return false;
    this.leaveGroupIndex(group, connectionId);
    return true;
  }

  /** False when the connection is unknown. */
  leaveAllGroups(connectionId: string): boolean {
    const entry = this.connections.get(connectionId);
    if (!entry) return false;
    for (const group of entry.groups ?? []) this.leaveGroupIndex(group, connectionId);
    entry.groups = undefined;
    return true;
  }

  removeUserConnectionsFromGroup(userId: string, group: string): void {
    for (const connectionId of this.users.get(userId) ?? []) this.leaveGroup(group, connectionId);
  }

  /** Removes the connection from the group index only; the caller updates the connection's own set. */
  private leaveGroupIndex(group: string, connectionId: string): void {
    const members = this.groups.get(group);
    if (!members) return;
    members.delete(connectionId);
    if (members.size === 0) this.groups.delete(group);
  }
}
