/**
 * Several SignalR Service instances for one connection setting, named as the official SDK names them:
 *
 * - `Azure:SignalR:Endpoints:<name>` holds a connection string; an optional suffix gives the type, `:primary`
 *   (the default) or `:secondary`. In app settings and environment variables `:` is written `__`
 *   (`Azure__SignalR__Endpoints__east__secondary`); keys are case-insensitive, as in .NET configuration.
 * - The connection-string setting itself (`AzureSignalRConnectionString`, or the binding's
 *   `connectionStringSetting`) is one more primary endpoint, named `''`, listed first, as the official
 *   extension merges it. The `Azure:SignalR:Endpoints` section is shared by every connection setting (also as
 *   officially). Left empty while named endpoints exist, it adds nothing: the named endpoints are the list.
 * - With no named endpoint at all, the connection setting is read exactly as it always was (same errors).
 *
 * Stricter than the official SDK, on purpose (research notes, section A): an unknown suffix
 * (`…:east:tertiary`, which the official extension silently ignores), two keys for one name and type (`east` and
 * `east:primary`), two entries for one instance (same Endpoint or ServerEndpoint: a fan-out would deliver every
 * message twice to its clients; the official SDK keeps one and logs a warning), identity sub-keys
 * (`…:east:serviceUri`, not supported: put `AuthType=` in the connection string) and a list of secondaries only
 * are ConfigErrors naming the setting. No message ever includes a value: values hold keys.
 */
import { ConfigError, parseConnectionString, type SignalRConnectionConfig } from './connectionString';
import { readConnectionStringValue, type Environment } from './settings';
import type { EndpointType } from '../endpoints/identity';

export const ENDPOINTS_SECTION = 'Azure:SignalR:Endpoints';
const SECTION_PREFIX = `${ENDPOINTS_SECTION.toLowerCase()}:`;

/** Sub-keys of the official identity-based endpoint form, which we do not read (the connection string's AuthType does that job). */
const IDENTITY_SUB_KEYS = new Set(['serviceuri', 'type', 'serverendpoint', 'clientendpoint', 'clientid', 'clientsecret', 'tenantid', 'credential', 'clientcertificate']);

export interface EndpointSetting {
  /** `<name>` as spelled in the setting; `''` for the connection-string setting. */
  readonly name: string;
  readonly type: EndpointType;
  /** The app setting (environment variable) it came from, spelled as there: what errors name. */
  readonly setting: string;
  readonly config: SignalRConnectionConfig;
}

/** One `Azure:SignalR:Endpoints:…` app setting, unparsed. */
export interface EndpointEntry {
  readonly key: string;
  readonly value: string;
}

/** Every `Azure:SignalR:Endpoints:…` / `Azure__SignalR__Endpoints__…` setting in `env`, sorted by key. */
export function scanEndpointEntries(env: Environment): EndpointEntry[] {
  const entries: EndpointEntry[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value === undefined) continue;
    const normalized = normalizeKey(key);
    if (normalized === ENDPOINTS_SECTION.toLowerCase() || normalized.startsWith(SECTION_PREFIX)) entries.push({ key, value });
  }
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

let processEnvEntries: EndpointEntry[] | undefined;

/**
 * `scanEndpointEntries`, remembered for `process.env`: enumerating process.env costs ~0.3 µs per variable (it
 * crosses into C++), paid on every invocation otherwise, and app settings only change with a restart of the
 * worker. `forgetEndpointEntries()` (called by resetSignalRServiceCache) reads them again. Plain objects are
 * scanned every time: that costs about a microsecond.
 */
export function endpointEntries(env: Environment): readonly EndpointEntry[] {
  if (env !== process.env) return scanEndpointEntries(env);
  processEnvEntries ??= scanEndpointEntries(env);
  return processEnvEntries;
}

export function forgetEndpointEntries(): void {
  processEnvEntries = undefined;
}

function normalizeKey(key: string): string {
  return key.replace(/__/g, ':').toLowerCase();
}

/** Name and type from a key below the section; a ConfigError naming the key for any other shape. */
function nameAndType(key: string): { name: string; type: EndpointType } {
  const parts = key.replace(/__/g, ':').split(':').slice(3);
  const [name, suffix, ...extra] = parts;
  const shape = `expected ${ENDPOINTS_SECTION}:<name> or ${ENDPOINTS_SECTION}:<name>:primary|secondary ('__' for ':' in environment variables)`;
  if (name === undefined || name.trim() === '') throw new ConfigError(key, `names no endpoint: ${shape}`);
  if (extra.length > 0) throw new ConfigError(key, `has too many parts: ${shape}`);
  if (suffix === undefined) return { name, type: 'primary' };
  const lower = suffix.toLowerCase();
  if (lower === 'primary' || lower === 'secondary') return { name, type: lower };
  if (IDENTITY_SUB_KEYS.has(lower)) {
    throw new ConfigError(key, `identity-based endpoint sub-keys such as '${suffix}' are not supported: give the endpoint a connection string with AuthType (e.g. Endpoint=https://<name>.service.signalr.net;AuthType=azure.msi;Version=1.0;)`);
  }
  throw new ConfigError(key, `ends in '${suffix}': the endpoint type must be 'primary' or 'secondary' (or left out for primary)`);
}

function parseNamedEntry(entry: EndpointEntry): EndpointSetting {
  const { name, type } = nameAndType(entry.key);
  if (entry.value.trim() === '') throw new ConfigError(entry.key, 'is empty (expected Endpoint=...;AccessKey=...;Version=1.0;)');
  return { name, type, setting: entry.key, config: parseConnectionString(entry.value, entry.key) };
}

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Named endpoints in the official order: by name (case-insensitive, numbers by value), primary before secondary. */
function compareNamed(a: EndpointSetting, b: EndpointSetting): number {
  return byName.compare(a.name, b.name) || (a.type === b.type ? 0 : a.type === 'primary' ? -1 : 1);
}

function refuseTwoKeysForOneSlot(endpoints: readonly EndpointSetting[]): void {
  const seen = new Map<string, string>();
  for (const endpoint of endpoints) {
    const slot = `${endpoint.name.toLowerCase()}\u0000${endpoint.type}`;
    const other = seen.get(slot);
    if (other !== undefined) {
      throw new ConfigError(endpoint.setting, `sets the same endpoint ('${endpoint.name}', ${endpoint.type}) as '${other}': keep one of them`);
    }
    seen.set(slot, endpoint.setting);
  }
}

function refuseOneInstanceTwice(endpoints: readonly EndpointSetting[]): void {
  const seen = new Map<string, string>();
  for (const endpoint of endpoints) {
    for (const url of new Set([endpoint.config.endpoint, endpoint.config.serverEndpoint])) {
      const other = seen.get(url);
      if (other !== undefined) {
        throw new ConfigError(
          endpoint.setting,
          `points at the same SignalR Service instance (${url}) as '${other}': list each instance once, or every message would reach its clients twice`,
        );
      }
      seen.set(url, endpoint.setting);
    }
  }
}

/**
 * The endpoints for connection setting `settingName`: its own connection string (name `''`, primary, first) when
 * set, then every named endpoint of `entries` (from `endpointEntries(env)`). Throws a ConfigError naming the
 * setting at fault.
 */
export function parseEndpointSettings(settingName: string, env: Environment, entries: readonly EndpointEntry[]): EndpointSetting[] {
  if (entries.length === 0) {
    const value = readConnectionStringValue(settingName, env);
    return [{ name: '', type: 'primary', setting: settingName, config: parseConnectionString(value, settingName) }];
  }
  const named = entries.map(parseNamedEntry).sort(compareNamed);
  refuseTwoKeysForOneSlot(named);
  const defaultValue = env[settingName];
  const endpoints =
    defaultValue === undefined || defaultValue.trim() === ''
      ? named
      : [{ name: '', type: 'primary' as const, setting: settingName, config: parseConnectionString(defaultValue, settingName) }, ...named];
  refuseOneInstanceTwice(endpoints);
  if (!endpoints.some((endpoint) => endpoint.type === 'primary')) {
    throw new ConfigError(endpoints[0]!.setting, `is a secondary endpoint, and no primary endpoint is set: negotiate needs one (${ENDPOINTS_SECTION}:<name> or :<name>:primary)`);
  }
  return endpoints;
}
