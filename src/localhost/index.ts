export { startLocalHost, PortInUseError, defaultLocalHttpPort, defaultLocalHost } from './host';
export type { LocalHost, LocalHostOptions, LocalHostFunctionInfo } from './host';
export type { BindingHandler } from './invoke';
export { loadLocalSettings, readLocalSettings, ensureLocalSettingsFile, applyValuesToEnvironment, SettingsError } from './settings';
export type { LocalSettings, HostSettings } from './settings';
export { functionsCore, functionsCoreModuleId, installFunctionsCoreShim } from './functionsCore';
