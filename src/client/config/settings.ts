import { ConfigError, parseConnectionString, type SignalRConnectionConfig } from './connectionString';

/** The app setting Azure Functions' SignalR bindings read by default. */
export const DEFAULT_CONNECTION_SETTING = 'AzureSignalRConnectionString';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the raw connection string from `env`, failing with a ConfigError that names the setting. */
export function readConnectionStringValue(settingName: string = DEFAULT_CONNECTION_SETTING, env: Environment = process.env): string {
  if (typeof settingName !== 'string' || settingName.trim() === '') {
    throw new ConfigError(String(settingName), 'the connection setting name is empty');
  }
  const value = env[settingName];
  if (value === undefined) {
    throw new ConfigError(settingName, 'is not set (add it to local.settings.json "Values" or the app settings)');
  }
  if (value.trim() === '') {
    throw new ConfigError(settingName, 'is empty (expected Endpoint=...;AccessKey=...;Version=1.0;)');
  }
  return value;
}

/** Reads and parses the SignalR connection string held in app setting `settingName`. */
export function readConnectionSetting(settingName: string = DEFAULT_CONNECTION_SETTING, env: Environment = process.env): SignalRConnectionConfig {
  return parseConnectionString(readConnectionStringValue(settingName, env), settingName);
}
