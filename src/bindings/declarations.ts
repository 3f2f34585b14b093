import { createHash } from 'node:crypto';
import type { FunctionInput, FunctionOutput } from '@azure/functions';
import { parseExpression, type ParsedExpression } from './expressions';

/** The app setting the official bindings read when `connectionStringSetting` is not given. */
export const DEFAULT_CONNECTION_STRING_SETTING = 'AzureSignalRConnectionString';

/** Options of the `signalRConnectionInfo` input, as in function.json of the official extension. */
export interface SignalRConnectionInfoOptions {
  /** Hub name, a binding expression (e.g. `chat`, `%SignalRHubName%`, `{query.hub}`). */
  hubName: string;
  /** User id, a binding expression, e.g. `{headers.x-ms-client-principal-id}`. No value: no user. */
  userId?: string;
  /** An id token (expression, e.g. `{headers.authorization}`; a `Bearer ` prefix is fine) whose claims are copied. */
  idToken?: string;
  /** Claim types copied from `idToken` into the client token. */
  claimTypeList?: string[];
  /** App setting holding the connection string. Default `AzureSignalRConnectionString`. */
  connectionStringSetting?: string;
  /** Client token lifetime in seconds (not in the official binding, which always uses 1 hour). Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Binding name (unique within the function); generated when omitted. */
  name?: string;
}

/** Options of the `signalR` output, as in function.json of the official extension. */
export interface SignalROutputOptions {
  /** Hub name, a binding expression. */
  hubName: string;
  /** App setting holding the connection string. Default `AzureSignalRConnectionString`. */
  connectionStringSetting?: string;
  name?: string;
}

export interface SignalRConnectionInfoInput extends FunctionInput {
  type: 'signalRConnectionInfo';
  hubName: string;
  connectionStringSetting: string;
}

export interface SignalROutput extends FunctionOutput {
  type: 'signalR';
  hubName: string;
  connectionStringSetting: string;
}

/** What the adapter knows about a declaration, kept beside (not on) the binding object. */
export interface ConnectionInfoSpec {
  hubName: ParsedExpression;
  userId?: ParsedExpression;
  idToken?: ParsedExpression;
  claimTypeList?: readonly string[];
  connectionStringSetting: string;
  tokenLifetimeSeconds?: number;
}

export interface OutputSpec {
  hubName: ParsedExpression;
  connectionStringSetting: string;
}

// WHY a side table: the binding objects must look exactly like plain Functions bindings (so they type-check
// in extraInputs/extraOutputs and context.extraInputs.get(binding) works by name), yet withSignalR must
// recognise which ones are ours without trusting a `type` string that a real binding could also carry.
const inputSpecs = new WeakMap<object, ConnectionInfoSpec>();
const outputSpecs = new WeakMap<object, OutputSpec>();
/**
 * A binding name made from what the declaration says, so it stays the same however declarations are ordered
 * (a counter would rename bindings whenever a declaration moves). Two identical declarations in one function get
 * one name; withSignalR refuses that and asks for distinct `name`s.
 */
function derivedName(prefix: string, declaration: readonly unknown[]): string {
  return `${prefix}_${createHash('sha256').update(JSON.stringify(declaration)).digest('hex').slice(0, 10)}`;
}

function settingName(value: string | undefined, property: string): string {
  if (value === undefined) return DEFAULT_CONNECTION_STRING_SETTING;
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${property} must be a non-empty app setting name`);
  return value;
}

function requiredExpression(value: unknown, property: string): ParsedExpression {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${property} is required (a hub name or a binding expression)`);
  return parseExpression(value);
}

function optionalExpression(value: unknown, property: string): ParsedExpression | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${property} must be a string binding expression`);
  return parseExpression(value);
}

/**
 * In-process replacements for the official SignalR bindings. Declaration mistakes (bad expression syntax,
 * missing hubName) throw when the module loads, as the host would refuse the function at startup.
 */
export const signalRInput = {
  connectionInfo(options: SignalRConnectionInfoOptions): SignalRConnectionInfoInput {
    const spec: ConnectionInfoSpec = {
      hubName: requiredExpression(options.hubName, 'hubName'),
      connectionStringSetting: settingName(options.connectionStringSetting, 'connectionStringSetting'),
    };
    const userId = optionalExpression(options.userId, 'userId');
    if (userId !== undefined) spec.userId = userId;
    const idToken = optionalExpression(options.idToken, 'idToken');
    if (idToken !== undefined) spec.idToken = idToken;
    if (options.claimTypeList !== undefined) {
      if (!Array.isArray(options.claimTypeList) || options.claimTypeList.some((c) => typeof c !== 'string')) {
        throw new TypeError('claimTypeList must be an array of claim type strings');
      }
      spec.claimTypeList = [...options.claimTypeList];
    }
    if (options.tokenLifetimeSeconds !== undefined) {
      if (!Number.isSafeInteger(options.tokenLifetimeSeconds) || options.tokenLifetimeSeconds <= 0) {
        throw new TypeError('tokenLifetimeSeconds must be a positive whole number');
      }
      spec.tokenLifetimeSeconds = options.tokenLifetimeSeconds;
    }
    const binding: SignalRConnectionInfoInput = {
      ...stripUndefined(options),
      type: 'signalRConnectionInfo',
      name: options.name ?? derivedName('signalRConnectionInfo', [options.hubName, options.userId, options.idToken, options.claimTypeList, spec.connectionStringSetting, options.tokenLifetimeSeconds]),
      hubName: options.hubName,
      connectionStringSetting: spec.connectionStringSetting,
    };
    inputSpecs.set(binding, spec);
    return binding;
  },
};

export const signalROutput = {
  signalR(options: SignalROutputOptions): SignalROutput {
    const spec: OutputSpec = {
      hubName: requiredExpression(options.hubName, 'hubName'),
      connectionStringSetting: settingName(options.connectionStringSetting, 'connectionStringSetting'),
    };
    const binding: SignalROutput = {
      ...stripUndefined(options),
      type: 'signalR',
      name: options.name ?? derivedName('signalR', [options.hubName, spec.connectionStringSetting]),
      hubName: options.hubName,
      connectionStringSetting: spec.connectionStringSetting,
    };
    outputSpecs.set(binding, spec);
    return binding;
  },
};

function stripUndefined<T extends object>(options: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

export function connectionInfoSpecOf(binding: object): ConnectionInfoSpec | undefined {
  return inputSpecs.get(binding);
}

export function outputSpecOf(binding: object): OutputSpec | undefined {
  return outputSpecs.get(binding);
}
