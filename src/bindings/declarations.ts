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

/** Options of the `signalREndpoints` input, as in function.json of the official extension. */
export interface SignalREndpointsOptions {
  /** Hub name, a binding expression. */
  hubName: string;
  /** App setting holding the connection string. Default `AzureSignalRConnectionString`. */
  connectionStringSetting?: string;
  name?: string;
}

export interface SignalREndpointsInput extends FunctionInput {
  type: 'signalREndpoints';
  hubName: string;
  connectionStringSetting: string;
}

/** The `signalRNegotiation` input takes the `signalRConnectionInfo` options (the official attributes share a base). */
export type SignalRNegotiationOptions = SignalRConnectionInfoOptions;

export interface SignalRNegotiationInput extends FunctionInput {
  type: 'signalRNegotiation';
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

/** What an input declaration says, by kind: the connection info of one endpoint, of every endpoint, or the endpoint list. */
export type InputSpec =
  | ({ kind: 'connectionInfo' } & ConnectionInfoSpec)
  | ({ kind: 'negotiation' } & ConnectionInfoSpec)
  | { kind: 'endpoints'; hubName: ParsedExpression; connectionStringSetting: string };

// WHY a side table: the binding objects must look exactly like plain Functions bindings (so they type-check
// in extraInputs/extraOutputs and context.extraInputs.get(binding) works by name), yet withSignalR must
// recognise which ones are ours without trusting a `type` string that a real binding could also carry.
const inputSpecs = new WeakMap<object, InputSpec>();
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

/** The connection-info options, checked once: what `signalRConnectionInfo` and `signalRNegotiation` share. */
function connectionInfoSpec(options: SignalRConnectionInfoOptions): ConnectionInfoSpec {
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
  return spec;
}

/** A `signalRConnectionInfo` or `signalRNegotiation` declaration: the same options, another answer. */
function connectionInfoBinding<T extends 'signalRConnectionInfo' | 'signalRNegotiation'>(
  type: T,
  kind: 'connectionInfo' | 'negotiation',
  options: SignalRConnectionInfoOptions,
): FunctionInput & { type: T; hubName: string; connectionStringSetting: string } {
  const spec = connectionInfoSpec(options);
  const declaration = [options.hubName, options.userId, options.idToken, options.claimTypeList, spec.connectionStringSetting, options.tokenLifetimeSeconds];
  const binding = {
    ...stripUndefined(options),
    type,
    name: options.name ?? derivedName(type, declaration),
    hubName: options.hubName,
    connectionStringSetting: spec.connectionStringSetting,
  };
  inputSpecs.set(binding, { kind, ...spec });
  return binding;
}

/**
 * In-process replacements for the official SignalR bindings. Declaration mistakes (bad expression syntax,
 * missing hubName) throw when the module loads, as the host would refuse the function at startup.
 */
export const signalRInput = {
  /** `{url, accessToken}` on the endpoint the router picks (the official `signalRConnectionInfo`). */
  connectionInfo(options: SignalRConnectionInfoOptions): SignalRConnectionInfoInput {
    return connectionInfoBinding('signalRConnectionInfo', 'connectionInfo', options);
  },

  /** `{endpoints: [{endpointType, name, endpoint, online, connectionInfo: {url, accessToken}}]}` for every endpoint. */
  negotiation(options: SignalRNegotiationOptions): SignalRNegotiationInput {
    return connectionInfoBinding('signalRNegotiation', 'negotiation', options);
  },

  /** `[{endpointType, name, endpoint, online}]`: the endpoints of the connection setting and their health. */
  endpoints(options: SignalREndpointsOptions): SignalREndpointsInput {
    const hubName = requiredExpression(options.hubName, 'hubName');
    const connectionStringSetting = settingName(options.connectionStringSetting, 'connectionStringSetting');
    const binding: SignalREndpointsInput = {
      ...stripUndefined(options),
      type: 'signalREndpoints',
      name: options.name ?? derivedName('signalREndpoints', [options.hubName, connectionStringSetting]),
      hubName: options.hubName,
      connectionStringSetting,
    };
    inputSpecs.set(binding, { kind: 'endpoints', hubName, connectionStringSetting });
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

export function inputSpecOf(binding: object): InputSpec | undefined {
  return inputSpecs.get(binding);
}

export function outputSpecOf(binding: object): OutputSpec | undefined {
  return outputSpecs.get(binding);
}
