/**
 * local.settings.json, read the way Azure Functions Core Tools read it:
 * - `Values` become environment variables, but never override a variable already set in the environment;
 * - `Host` holds LocalHttpPort, CORS (comma-separated origins or "*") and CORSCredentials.
 * A missing file is created from local.settings.json.example so `npm start` works on a fresh clone.
 */
import * as fs from 'fs';
import * as path from 'path';

export const localSettingsFileName = 'local.settings.json';
export const localSettingsExampleFileName = 'local.settings.json.example';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export interface HostSettings {
  /** Host.LocalHttpPort, when given. */
  localHttpPort?: number;
  /** Host.CORS split on commas; empty means CORS is off (no CORS headers at all). */
  corsOrigins: string[];
  /** Host.CORSCredentials. */
  corsCredentials: boolean;
}

export interface LocalSettings {
  file: string;
  values: Record<string, string>;
  host: HostSettings;
}

export interface EnsureResult {
  file: string;
  /** True when the file was just copied from the example. */
  created: boolean;
  /** True when neither the file nor the example exists: defaults apply. */
  missing: boolean;
}

/** Creates local.settings.json from the example when it is missing. */
export function ensureLocalSettingsFile(projectRoot: string): EnsureResult {
  const file = path.join(projectRoot, localSettingsFileName);
  if (fs.existsSync(file)) return { file, created: false, missing: false };
  const example = path.join(projectRoot, localSettingsExampleFileName);
  if (!fs.existsSync(example)) return { file, created: false, missing: true };
  // COPYFILE_EXCL: never clobber a file that appeared in the meantime.
  try {
    fs.copyFileSync(example, file, fs.constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { file, created: false, missing: false };
    throw new SettingsError(`Cannot create ${file} from ${example}: ${(error as Error).message}`);
  }
  return { file, created: true, missing: false };
}

/** Reads and validates a local.settings.json file. A missing file gives empty settings. */
export function readLocalSettings(file: string): LocalSettings {
  if (!fs.existsSync(file)) return { file, values: {}, host: { corsOrigins: [], corsCredentials: false } };
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SettingsError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new SettingsError(`${file} must contain a JSON object.`);
  if (parsed.IsEncrypted === true) {
    throw new SettingsError(`${file} is encrypted ("IsEncrypted": true); decrypt it with "func settings decrypt" first.`);
  }
  return { file, values: parseValues(parsed.Values, file), host: parseHost(parsed.Host, file) };
}

function parseValues(raw: unknown, file: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new SettingsError(`${file}: "Values" must be an object of app settings.`);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') values[name] = value;
    // Core Tools read Values as strings; JSON numbers and booleans arrive as their text.
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    else if (value === null) values[name] = '';
    else throw new SettingsError(`${file}: Values.${name} must be a string, number or boolean.`);
  }
  return values;
}

function parseHost(raw: unknown, file: string): HostSettings {
  if (raw === undefined || raw === null) return { corsOrigins: [], corsCredentials: false };
  if (!isRecord(raw)) throw new SettingsError(`${file}: "Host" must be an object.`);
  const host: HostSettings = { corsOrigins: [], corsCredentials: false };

  const port = raw.LocalHttpPort;
  if (port !== undefined && port !== null && port !== '') {
    const number = typeof port === 'number' ? port : typeof port === 'string' ? Number(port) : NaN;
    if (!Number.isInteger(number) || number < 1 || number > 65535) {
      throw new SettingsError(`${file}: Host.LocalHttpPort must be a port number 1-65535, got ${JSON.stringify(port)}.`);
    }
    host.localHttpPort = number;
  }

  const cors = raw.CORS;
  if (cors !== undefined && cors !== null) {
    if (typeof cors !== 'string') throw new SettingsError(`${file}: Host.CORS must be a string ("*" or comma-separated origins).`);
    host.corsOrigins = cors
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
  }

  const credentials = raw.CORSCredentials;
  if (credentials !== undefined && credentials !== null) {
    if (typeof credentials === 'boolean') host.corsCredentials = credentials;
    else if (typeof credentials === 'string' && /^(true|false)$/i.test(credentials)) host.corsCredentials = credentials.toLowerCase() === 'true';
    else throw new SettingsError(`${file}: Host.CORSCredentials must be true or false.`);
  }
  if (host.corsCredentials && host.corsOrigins.includes('*')) {
    // ASP.NET Core (which Core Tools use) refuses this combination too: browsers reject credentials with "*".
    throw new SettingsError(
      `${file}: Host.CORSCredentials cannot be true while Host.CORS is "*"; list the allowed origins instead.`,
    );
  }
  return host;
}

/**
 * Copies Values into the environment without overriding variables that are already set (Core Tools do the same,
 * so `VAR=x npm start` wins over the file). Returns the names that were applied.
 */
export function applyValuesToEnvironment(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string[] {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
}

export interface LoadSettingsResult extends LocalSettings {
  created: boolean;
  applied: string[];
}

/** The whole startup step: create from the example if needed, read, apply Values to the environment. */
export function loadLocalSettings(projectRoot: string, env: NodeJS.ProcessEnv = process.env): LoadSettingsResult {
  const ensured = ensureLocalSettingsFile(projectRoot);
  const settings = readLocalSettings(ensured.file);
  const applied = applyValuesToEnvironment(settings.values, env);
  return { ...settings, created: ensured.created, applied };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
