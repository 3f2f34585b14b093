import { SignalROutputValidationError } from './errors';
import { readEndpointRefs, type EndpointRef, type SignalREndpointInfo } from './endpointJson';
import { GROUP_NAME_RULE, isPlainObject, isValidGroupName, MAX_ARGUMENTS_DEPTH, nestsDeeperThan } from '../contract';

/**
 * The `signalR` output binding's value types, as the official extension defines them. Keys may be written
 * camelCase (`target`) or PascalCase (`Target`), as the .NET types serialize; any other casing is accepted too,
 * because the official binding deserializes case-insensitively.
 */
export interface SignalRMessage {
  target: string;
  arguments?: unknown[];
  userId?: string;
  groupName?: string;
  connectionId?: string;
  /**
   * With several SignalR Service endpoints: send to these only (entries of the `signalREndpoints` input, or
   * `{name}` / `{endpoint}`), online or not. Left out: every online endpoint. See endpointJson.ts.
   */
  endpoints?: ReadonlyArray<Partial<SignalREndpointInfo>>;
}

export type SignalRGroupActionType = 'add' | 'remove' | 'removeAll';

export interface SignalRGroupAction {
  action: SignalRGroupActionType;
  userId?: string;
  connectionId?: string;
  groupName?: string;
  /** As on SignalRMessage: the endpoints to apply the action on. */
  endpoints?: ReadonlyArray<Partial<SignalREndpointInfo>>;
}

/** What a handler may set on a `signalR` output: one item or an array of them. */
export type SignalROutputValue = SignalRMessage | SignalRGroupAction | ReadonlyArray<SignalRMessage | SignalRGroupAction>;

/**
 * A validated item with its route decided (the precedence of the official binding):
 * message: connectionId > userId > groupName > broadcast; group action: connectionId wins over userId.
 */
export type SignalROperation =
  | { kind: 'sendToConnection'; connectionId: string; target: string; arguments: unknown[] }
  | { kind: 'sendToUser'; userId: string; target: string; arguments: unknown[] }
  | { kind: 'sendToGroup'; groupName: string; target: string; arguments: unknown[] }
  | { kind: 'broadcast'; target: string; arguments: unknown[] }
  | { kind: 'addConnectionToGroup'; connectionId: string; groupName: string }
  | { kind: 'removeConnectionFromGroup'; connectionId: string; groupName: string }
  | { kind: 'removeConnectionFromAllGroups'; connectionId: string }
  | { kind: 'addUserToGroup'; userId: string; groupName: string }
  | { kind: 'removeUserFromGroup'; userId: string; groupName: string }
  | { kind: 'removeUserFromAllGroups'; userId: string };

export interface NormalizedItem {
  /** Position in the output array, undefined for a single object. */
  index?: number;
  operation: SignalROperation;
  /** The item's `endpoints`, validated; undefined: routed to every online endpoint. */
  endpoints?: readonly EndpointRef[];
}

const MESSAGE_KEYS = ['target', 'arguments', 'userId', 'groupName', 'connectionId', 'endpoints'] as const;
const GROUP_ACTION_KEYS = ['action', 'userId', 'connectionId', 'groupName', 'endpoints'] as const;

/**
 * Validates and routes a `signalR` output value. `undefined`/`null` (the handler set nothing) is no items.
 * Throws SignalROutputValidationError naming the item index and field for the first bad item, so nothing
 * is sent when any item is bad.
 */
export function normalizeSignalROutput(value: unknown): NormalizedItem[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((item: unknown, index) => normalizeItem(item, index));
  return [normalizeItem(value, undefined)];
}

function normalizeItem(item: unknown, index: number | undefined): NormalizedItem {
  if (!isPlainObject(item)) {
    throw new SignalROutputValidationError(index, '', 'must be an object (a SignalRMessage or a SignalRGroupAction)');
  }
  const fields = readKnownFields(item, index);
  const operation = fields.has('action') ? groupActionOperation(fields, index) : messageOperation(fields, index);
  const normalized: NormalizedItem = index === undefined ? { operation } : { index, operation };
  if (fields.has('endpoints')) normalized.endpoints = readEndpointRefs(fields.get('endpoints'), index);
  return normalized;
}

/** Every known key by its lower-case spelling, for the case-insensitive match .NET's JSON reading does. */
const KNOWN_KEYS_BY_LOWER_CASE: ReadonlyMap<string, string> = new Map([...MESSAGE_KEYS, ...GROUP_ACTION_KEYS].map((key) => [key.toLowerCase(), key]));

/** Collects the item's known keys under their camelCase names, rejecting two spellings of one key. */
function readKnownFields(item: Record<string, unknown>, index: number | undefined): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  const spelledAs = new Map<string, string>();
  for (const [key, value] of Object.entries(item)) {
    const name = KNOWN_KEYS_BY_LOWER_CASE.get(key.toLowerCase());
    if (name === undefined) continue; // unknown keys are ignored, as .NET deserialization does
    const previous = spelledAs.get(name);
    if (previous !== undefined) {
      throw new SignalROutputValidationError(index, name, `is given twice ('${previous}' and '${key}')`);
    }
    spelledAs.set(name, key);
    // null means "not set", as in the official JSON contract
    if (value !== null && value !== undefined) fields.set(name, value);
  }
  return fields;
}

function optionalId(fields: Map<string, unknown>, name: string, index: number | undefined): string | undefined {
  const value = fields.get(name);
  if (value === undefined) return undefined;
  // An empty string is refused rather than read as "not set": for a message that would silently broadcast.
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SignalROutputValidationError(index, name, 'must be a non-empty string when given');
  }
  return value;
}

function optionalGroupName(fields: Map<string, unknown>, index: number | undefined): string | undefined {
  const group = optionalId(fields, 'groupName', index);
  if (group !== undefined && !isValidGroupName(group)) {
    throw new SignalROutputValidationError(index, 'groupName', `is invalid: ${GROUP_NAME_RULE}`);
  }
  return group;
}

function messageOperation(fields: Map<string, unknown>, index: number | undefined): SignalROperation {
  const target = fields.get('target');
  if (target === undefined) {
    throw new SignalROutputValidationError(index, 'target', "is required (a SignalRMessage needs the client method name; a SignalRGroupAction needs 'action')");
  }
  if (typeof target !== 'string' || target.trim() === '') {
    throw new SignalROutputValidationError(index, 'target', 'must be a non-empty string');
  }
  const args = fields.get('arguments') ?? [];
  if (!Array.isArray(args)) throw new SignalROutputValidationError(index, 'arguments', 'must be an array');
  if (nestsDeeperThan(args, MAX_ARGUMENTS_DEPTH)) {
    throw new SignalROutputValidationError(index, 'arguments', `must not nest deeper than ${MAX_ARGUMENTS_DEPTH} levels`);
  }
  const connectionId = optionalId(fields, 'connectionId', index);
  const userId = optionalId(fields, 'userId', index);
  const groupName = optionalGroupName(fields, index);
  const payload = { target, arguments: args as unknown[] };
  if (connectionId !== undefined) return { kind: 'sendToConnection', connectionId, ...payload };
  if (userId !== undefined) return { kind: 'sendToUser', userId, ...payload };
  if (groupName !== undefined) return { kind: 'sendToGroup', groupName, ...payload };
  return { kind: 'broadcast', ...payload };
}

function parseAction(value: unknown, index: number | undefined): SignalRGroupActionType {
  if (typeof value === 'string') {
    switch (value.toLowerCase()) {
      case 'add':
        return 'add';
      case 'remove':
        return 'remove';
      case 'removeall':
        return 'removeAll';
    }
  }
  throw new SignalROutputValidationError(index, 'action', "must be 'add', 'remove' or 'removeAll'");
}

function groupActionOperation(fields: Map<string, unknown>, index: number | undefined): SignalROperation {
  const action = parseAction(fields.get('action'), index);
  const connectionId = optionalId(fields, 'connectionId', index);
  const userId = optionalId(fields, 'userId', index);
  const groupName = optionalGroupName(fields, index);
  if (connectionId === undefined && userId === undefined) {
    throw new SignalROutputValidationError(index, 'userId', `or "connectionId" is required for a group action`);
  }
  if (action === 'removeAll') {
    return connectionId !== undefined
      ? { kind: 'removeConnectionFromAllGroups', connectionId }
      : { kind: 'removeUserFromAllGroups', userId: userId as string };
  }
  if (groupName === undefined) {
    throw new SignalROutputValidationError(index, 'groupName', `is required for action '${action}'`);
  }
  if (connectionId !== undefined) {
    return action === 'add'
      ? { kind: 'addConnectionToGroup', connectionId, groupName }
      : { kind: 'removeConnectionFromGroup', connectionId, groupName };
  }
  return action === 'add'
    ? { kind: 'addUserToGroup', userId: userId as string, groupName }
    : { kind: 'removeUserFromGroup', userId: userId as string, groupName };
}

/** A short, log-safe description of an operation, e.g. "send 'newMessage' to group 'room1'". */
export function describeOperation(operation: SignalROperation): string {
  switch (operation.kind) {
    case 'sendToConnection':
      return `send '${operation.target}' to connection '${operation.connectionId}'`;
    case 'sendToUser':
      return `send '${operation.target}' to user '${operation.userId}'`;
    case 'sendToGroup':
      return `send '${operation.target}' to group '${operation.groupName}'`;
    case 'broadcast':
      return `broadcast '${operation.target}'`;
    case 'addConnectionToGroup':
      return `add connection '${operation.connectionId}' to group '${operation.groupName}'`;
    case 'removeConnectionFromGroup':
      return `remove connection '${operation.connectionId}' from group '${operation.groupName}'`;
    case 'removeConnectionFromAllGroups':
      return `remove connection '${operation.connectionId}' from all groups`;
    case 'addUserToGroup':
      return `add user '${operation.userId}' to group '${operation.groupName}'`;
    case 'removeUserFromGroup':
      return `remove user '${operation.userId}' from group '${operation.groupName}'`;
    case 'removeUserFromAllGroups':
      return `remove user '${operation.userId}' from all groups`;
  }
}
