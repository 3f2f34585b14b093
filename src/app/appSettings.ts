import { ConfigError } from '../client/config/connectionString';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, HUB_NAME_RULE, isValidHubName } from '../contract';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The app settings the HTTP functions read (besides the connection string, read by the service layer). */
export interface FunctionAppSettings {
  /** `SignalRHubName`, default `chat`. */
  hubName: string;
  /** `SignalRAllowClientUserId` = `true`: honour a user id the client states about itself (local development). */
  allowClientUserId: boolean;
  /** `SignalRTokenLifetimeSeconds`, default 3600: lifetime of the client access token negotiate hands out. */
  tokenLifetimeSeconds: number;
  /** `SignalRRestTimeoutMs` (optional): time budget per REST call, retries included; default the REST client's. */
  restTimeoutMs?: number;
}

export const HUB_NAME_SETTING = 'SignalRHubName';
export const ALLOW_CLIENT_USER_ID_SETTING = 'SignalRAllowClientUserId';
export const TOKEN_LIFETIME_SETTING = 'SignalRTokenLifetimeSeconds';
export const REST_TIMEOUT_SETTING = 'SignalRRestTimeoutMs';

export const DEFAULT_HUB_NAME = 'chat';
/** A day: longer-lived client tokens only widen the window in which a leaked token works. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86400;

function setting(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Reads and validates the settings; a bad value is a ConfigError naming the setting (answered as HTTP 500). */
export function readFunctionAppSettings(env: Environment = process.env): FunctionAppSettings {
  const hubName = setting(env, HUB_NAME_SETTING) ?? DEFAULT_HUB_NAME;
  if (!isValidHubName(hubName)) {
    throw new ConfigError(HUB_NAME_SETTING, `is not a valid hub name: ${HUB_NAME_RULE}`);
  }

  const allowRaw = setting(env, ALLOW_CLIENT_USER_ID_SETTING)?.toLowerCase() ?? 'false';
  if (allowRaw !== 'true' && allowRaw !== 'false') {
    throw new ConfigError(ALLOW_CLIENT_USER_ID_SETTING, "must be 'true' or 'false'");
  }

  const lifetimeRaw = setting(env, TOKEN_LIFETIME_SETTING);
  let tokenLifetimeSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (lifetimeRaw !== undefined) {
    tokenLifetimeSeconds = Number(lifetimeRaw);
    if (!/^\d+$/.test(lifetimeRaw) || tokenLifetimeSeconds < 1 || tokenLifetimeSeconds > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new ConfigError(TOKEN_LIFETIME_SETTING, `must be a whole number of seconds from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
    }
  }

  const settings: FunctionAppSettings = { hubName, allowClientUserId: allowRaw === 'true', tokenLifetimeSeconds };
  const timeoutRaw = setting(env, REST_TIMEOUT_SETTING);
  if (timeoutRaw !== undefined) {
    const timeout = Number(timeoutRaw);
    if (!/^\d+$/.test(timeoutRaw) || timeout < 1 || timeout > 600_000) {
      throw new ConfigError(REST_TIMEOUT_SETTING, 'must be a whole number of milliseconds from 1 to 600000');
    }
    settings.restTimeoutMs = timeout;
  }
  return settings;
}

/**
 * The app settings as binding expressions see them, with this app's defaults filled in, so a declaration
 * like `hubName: '%SignalRHubName%'` works when the setting is absent (the host itself has no defaults).
 */
export function appSettingsWithDefaults(env: Environment = process.env): Environment {
  const hub = env[HUB_NAME_SETTING];
  return hub === undefined || hub.trim() === '' ? { ...env, [HUB_NAME_SETTING]: DEFAULT_HUB_NAME } : env;
}
