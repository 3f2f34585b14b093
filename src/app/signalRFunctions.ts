import type { SignalRAdapterOptions } from '../bindings/withSignalR';
import { appSettingsWithDefaults, readFunctionAppSettings } from './appSettings';

/**
 * How this app's HTTP functions run the in-process SignalR bindings: binding expressions see the app
 * settings with this app's defaults (`%SignalRHubName%` is `chat` when unset), and REST calls get the
 * optional `SignalRRestTimeoutMs` budget.
 */
export const appSignalRAdapter: SignalRAdapterOptions = {
  env: () => appSettingsWithDefaults(process.env),
  callOptions: (env) => {
    const timeoutMs = readFunctionAppSettings(env).restTimeoutMs;
    return timeoutMs === undefined ? undefined : { timeoutMs };
  },
};

/** The hub every function of this app uses, as a binding expression. */
export const APP_HUB_EXPRESSION = '%SignalRHubName%';
