/**
 * Parses an Azure SignalR Service connection string into a validated, immutable config.
 *
 * Rules follow the service's documentation (connection strings of Azure SignalR Service) and the official SDK's
 * ConnectionStringParser (Azure/azure-signalr, src/Microsoft.Azure.SignalR.Common/Utilities):
 * - `;`-separated `key=value` pairs, keys case-insensitive and trimmed, values trimmed, values may
 *   contain `=` (only the first `=` separates), empty segments are ignored, duplicate keys are an error.
 * - `Port` overrides the port of `Endpoint` only. `ClientEndpoint` / `ServerEndpoint` are used exactly
 *   as given (the SDK does not apply `Port` to them); when absent they fall back to `Endpoint` with `Port`.
 * - `AuthType` (aad | azure | azure.msi | azure.app) selects Microsoft Entra ID; `AccessKey` is then not
 *   needed. Credential choice mirrors the SDK: see `entraCredentialFor`.
 * - Unknown keys are ignored (as the SDK does) so strings written for newer SDKs still load.
 *
 * Secrets (AccessKey, ClientSecret) are never copied into error messages or `describe()`.
 */

export class ConfigError extends Error {
  /** The app setting (environment variable) holding the connection string. */
  readonly setting: string;
  /** The connection-string key at fault, when there is one. */
  readonly key?: string;

  constructor(setting: string, message: string, key?: string) {
    super(`App setting '${setting}': ${message}`);
    this.name = 'ConfigError';
    this.setting = setting;
    if (key !== undefined) this.key = key;
  }
}

export type EntraAuthType = 'aad' | 'azure' | 'azure.msi' | 'azure.app';

/** Which `@azure/identity` credential an Entra connection string asks for (SDK semantics). */
export type EntraCredentialSpec =
  | { readonly type: 'default' }
  | { readonly type: 'managedIdentity'; readonly clientId?: string }
  | { readonly type: 'clientSecret'; readonly tenantId: string; readonly clientId: string; readonly clientSecret: string }
  | { readonly type: 'clientCertificate'; readonly tenantId: string; readonly clientId: string; readonly certificatePath: string };

export type SignalRAuthConfig =
  | { readonly kind: 'accessKey'; readonly accessKey: string }
  | { readonly kind: 'entra'; readonly authType: EntraAuthType; readonly credential: EntraCredentialSpec };

export interface SignalRConnectionConfig {
  /** App setting the string came from (used in later error messages). */
  readonly settingName: string;
  /** `Endpoint` with `Port` applied, no trailing slash. */
  readonly endpoint: string;
  /** Base URL handed to clients: `ClientEndpoint` if given, else `endpoint`. No trailing slash. */
  readonly clientEndpoint: string;
  /** Base URL for REST calls: `ServerEndpoint` if given, else `endpoint`. No trailing slash. */
  readonly serverEndpoint: string;
  readonly auth: SignalRAuthConfig;
  /** `Version` as given (e.g. `1.0`), when present. */
  readonly version?: string;
  /** A log-safe rendering: `Endpoint=...;AccessKey=***;...`. */
  describe(): string;
  toString(): string;
}

const KNOWN_AUTH_TYPES: readonly EntraAuthType[] = ['aad', 'azure', 'azure.msi', 'azure.app'];
/** The SDK accepts `1.<n>` optionally followed by a suffix such as `-preview`. */
const VERSION_PATTERN = /^1\.\d+(?:[\w.-]+)?$/;

/** Splits the string into a lower-cased-key map, rejecting duplicates and segments without `=`. */
function toProperties(value: string, settingName: string): Map<string, { key: string; value: string }> {
  const properties = new Map<string, { key: string; value: string }>();
  const segments = value.split(';');
  segments.forEach((segment, index) => {
    if (segment.trim() === '') return;
    const eq = segment.indexOf('=');
    if (eq < 0) {
      // Do not echo the segment: it could be a pasted key.
      throw new ConfigError(settingName, `segment ${index + 1} of the connection string has no '=' (expected key=value)`);
    }
    const key = segment.slice(0, eq).trim();
    if (key === '') {
      throw new ConfigError(settingName, `segment ${index + 1} of the connection string has an empty key`);
    }
    const lower = key.toLowerCase();
    const existing = properties.get(lower);
    if (existing) {
      throw new ConfigError(settingName, `duplicate key '${key}' in the connection string`, existing.key);
    }
    properties.set(lower, { key, value: segment.slice(eq + 1).trim() });
  });
  return properties;
}

/** Parses an http(s) URL, trims trailing `/`, rejects user info, query and fragment. */
function parseEndpointUrl(raw: string, keyName: string, settingName: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(settingName, `${keyName} is not a valid absolute URL`, keyName);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(settingName, `${keyName} must use http or https, not '${url.protocol.replace(/:$/, '')}'`, keyName);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(settingName, `${keyName} must not contain user credentials`, keyName);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(settingName, `${keyName} must not contain a query or fragment`, keyName);
  }
  return url;
}

function urlToBase(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * A URL written as endpoints are kept (scheme and host in lower case, no trailing slash), for comparing a URL a
 * caller gives with the configured ones; a value that is not a URL only loses its trailing slashes.
 */
export function endpointUrlBase(value: string): string {
  try {
    return urlToBase(new URL(value));
  } catch {
    return value.replace(/\/+$/, '');
  }
}

function parsePort(raw: string, settingName: string): number {
  if (!/^\d{1,5}$/.test(raw)) {
    throw new ConfigError(settingName, `Port must be an integer between 1 and 65535, got '${raw}'`, 'Port');
  }
  const port = Number(raw);
  if (port < 1 || port > 65535) {
    throw new ConfigError(settingName, `Port must be an integer between 1 and 65535, got '${raw}'`, 'Port');
  }
  return port;
}

function optional(props: Map<string, { key: string; value: string }>, lowerKey: string): string | undefined {
  const entry = props.get(lowerKey);
  return entry === undefined || entry.value === '' ? undefined : entry.value;
}

/**
 * Credential selection as in the SDK's ConnectionStringParser:
 * - `azure`: DefaultAzureCredential.
 * - `azure.msi`: ManagedIdentityCredential, user-assigned when ClientId is given.
 * - `azure.app`: ClientId and TenantId required, plus ClientSecret or ClientCert (a certificate file path).
 * - `aad` (legacy): like azure.app when ClientId and TenantId are both given, else managed identity.
 */
function entraCredentialFor(
  authType: EntraAuthType,
  props: Map<string, { key: string; value: string }>,
  settingName: string,
): EntraCredentialSpec {
  const clientId = optional(props, 'clientid');
  const tenantId = optional(props, 'tenantid');
  const clientSecret = optional(props, 'clientsecret');
  const certificatePath = optional(props, 'clientcert');

  const appCredential = (cid: string, tid: string): EntraCredentialSpec => {
    if (clientSecret !== undefined) return { type: 'clientSecret', tenantId: tid, clientId: cid, clientSecret };
    if (certificatePath !== undefined) return { type: 'clientCertificate', tenantId: tid, clientId: cid, certificatePath };
    throw new ConfigError(settingName, `AuthType=${authType} with ClientId and TenantId needs ClientSecret or ClientCert`, 'ClientSecret');
  };
  const managedIdentity = (): EntraCredentialSpec =>
    clientId === undefined ? { type: 'managedIdentity' } : { type: 'managedIdentity', clientId };

  switch (authType) {
    case 'azure':
      return { type: 'default' };
    case 'azure.msi':
      return managedIdentity();
    case 'azure.app':
      if (clientId === undefined) throw new ConfigError(settingName, 'AuthType=azure.app needs ClientId', 'ClientId');
      if (tenantId === undefined) throw new ConfigError(settingName, 'AuthType=azure.app needs TenantId', 'TenantId');
      return appCredential(clientId, tenantId);
    case 'aad':
      return clientId !== undefined && tenantId !== undefined ? appCredential(clientId, tenantId) : managedIdentity();
  }
}

function describeConfig(config: Omit<SignalRConnectionConfig, 'describe' | 'toString'>): string {
  const parts = [`Endpoint=${config.endpoint}`];
  if (config.auth.kind === 'accessKey') {
    parts.push('AccessKey=***');
  } else {
    parts.push(`AuthType=${config.auth.authType}`);
    const credential = config.auth.credential;
    if (credential.type === 'managedIdentity' && credential.clientId !== undefined) parts.push(`ClientId=${credential.clientId}`);
    if (credential.type === 'clientSecret' || credential.type === 'clientCertificate') {
      parts.push(`ClientId=${credential.clientId}`, `TenantId=${credential.tenantId}`);
      parts.push(credential.type === 'clientSecret' ? 'ClientSecret=***' : `ClientCert=${credential.certificatePath}`);
    }
  }
  if (config.clientEndpoint !== config.endpoint) parts.push(`ClientEndpoint=${config.clientEndpoint}`);
  if (config.serverEndpoint !== config.endpoint) parts.push(`ServerEndpoint=${config.serverEndpoint}`);
  if (config.version !== undefined) parts.push(`Version=${config.version}`);
  return `${parts.join(';')};`;
}

/**
 * Parses and validates `value`, the content of app setting `settingName`.
 * Throws `ConfigError` naming the setting and the offending key.
 */
export function parseConnectionString(value: string, settingName: string): SignalRConnectionConfig {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(settingName, 'the connection string is empty');
  }
  const props = toProperties(value, settingName);

  const endpointRaw = optional(props, 'endpoint');
  if (endpointRaw === undefined) {
    throw new ConfigError(settingName, 'the connection string has no Endpoint (expected Endpoint=https://<name>.service.signalr.net)', 'Endpoint');
  }
  const endpointUrl = parseEndpointUrl(endpointRaw.replace(/\/+$/, ''), 'Endpoint', settingName);

  const portRaw = props.get('port')?.value;
  if (portRaw !== undefined) endpointUrl.port = String(parsePort(portRaw, settingName));
  const endpoint = urlToBase(endpointUrl);

  const versionRaw = props.get('version')?.value;
  let version: string | undefined;
  if (versionRaw !== undefined && versionRaw !== '') {
    if (!VERSION_PATTERN.test(versionRaw)) {
      throw new ConfigError(settingName, `Version '${versionRaw}' is not supported (expected 1.x)`, 'Version');
    }
    version = versionRaw;
  }

  const clientEndpointRaw = optional(props, 'clientendpoint');
  const clientEndpoint =
    clientEndpointRaw === undefined ? endpoint : urlToBase(parseEndpointUrl(clientEndpointRaw, 'ClientEndpoint', settingName));
  const serverEndpointRaw = optional(props, 'serverendpoint');
  const serverEndpoint =
    serverEndpointRaw === undefined ? endpoint : urlToBase(parseEndpointUrl(serverEndpointRaw, 'ServerEndpoint', settingName));

  let auth: SignalRAuthConfig;
  const authTypeRaw = optional(props, 'authtype');
  if (authTypeRaw !== undefined) {
    const authType = authTypeRaw.toLowerCase() as EntraAuthType;
    if (!KNOWN_AUTH_TYPES.includes(authType)) {
      throw new ConfigError(settingName, `AuthType '${authTypeRaw}' is not supported (expected one of ${KNOWN_AUTH_TYPES.join(', ')})`, 'AuthType');
    }
    auth = { kind: 'entra', authType, credential: entraCredentialFor(authType, props, settingName) };
  } else {
    const accessKey = optional(props, 'accesskey');
    if (accessKey === undefined) {
      throw new ConfigError(settingName, 'the connection string has no AccessKey (required unless AuthType is set)', 'AccessKey');
    }
    auth = { kind: 'accessKey', accessKey };
  }

  const fields = { settingName, endpoint, clientEndpoint, serverEndpoint, auth, ...(version === undefined ? {} : { version }) };
  const description = describeConfig(fields);
  const config: SignalRConnectionConfig = {
    ...fields,
    describe: () => description,
    toString: () => description,
  };
  // The secret must not leak through JSON.stringify / util.inspect either: hide `auth` from enumeration.
  Object.defineProperty(config, 'auth', { value: auth, enumerable: false, writable: false });
  Object.defineProperty(config, 'toJSON', { value: () => description, enumerable: false });
  return Object.freeze(config);
}
