/**
 * The chat's hub methods, as rules independent of how they are invoked: what a message looks like (the shape the
 * HTTP `sendMessage` produces, so the page renders both alike), who sent it (the connection's authenticated
 * user, from its token, never from the arguments), and which groups a caller is in.
 */
import { checkGroupName, checkUserId, ServiceRuleError } from '../contract';

export type MessageScope = { kind: 'all'; name: '' } | { kind: 'user'; name: string } | { kind: 'group'; name: string };

export interface ChatMessage {
  /** The sender's user id; absent for an anonymous connection. */
  sender?: string;
  text: string;
  sentAt: string;
  to: MessageScope;
}

/** A hub method's argument is wrong; its message becomes the caller's invoke error. */
export class HubMethodError extends Error {
  override name = 'HubMethodError';
}

export function messageText(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new HubMethodError('text must be a non-empty string');
  return value;
}

/** Runs a contract check on a hub method's argument; a broken rule reads as the argument's problem. */
export function hubArgument<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ServiceRuleError) throw new HubMethodError(error.message);
    throw error;
  }
}

export function recipientUser(value: unknown): string {
  return hubArgument(() => checkUserId(value, 'userId'));
}

export function recipientGroup(value: unknown): string {
  return hubArgument(() => checkGroupName(value, 'groupName'));
}

export function chatMessage(sender: string | null, text: string, to: MessageScope, now: Date = new Date()): ChatMessage {
  const message: ChatMessage = { text, sentAt: now.toISOString(), to };
  if (sender !== null) message.sender = sender;
  return message;
}

/**
 * The groups each member joined through this app, so `joinGroup`/`leaveGroup` can answer with the caller's
 * groups. The service keeps the membership itself (and routes group messages by it); this is only the answer's
 * source, held in this instance's memory: with several instances, a group joined through another one is missing
 * from the answer until a shared store replaces this class. Bounded: the least recently used members go first.
 */
export class ChatGroups {
  private readonly members = new Map<string, Set<string>>();

  constructor(private readonly maxMembers = 10_000) {}

  joined(member: string, group: string): string[] {
    const groups = this.touch(member);
    groups.add(group);
    return this.list(member);
  }

  left(member: string, group: string): string[] {
    this.touch(member).delete(group);
    return this.list(member);
  }

  list(member: string): string[] {
    return [...(this.members.get(member) ?? [])].sort();
  }

  forget(member: string): void {
    this.members.delete(member);
  }

  private touch(member: string): Set<string> {
    const groups = this.members.get(member) ?? new Set<string>();
    this.members.delete(member);
    this.members.set(member, groups);
    if (this.members.size > this.maxMembers) {
      const oldest = this.members.keys().next().value;
      if (oldest !== undefined) this.members.delete(oldest);
    }
    return groups;
  }
}

export const chatGroups = new ChatGroups();
