/**
 * The Azure SignalR Service's rules, defined once: limits, claim names, name validators, the REST operation
 * table and the error body shape. The service client, the binding adapter and the emulator all import them from
 * here, so the emulator keeps telling the truth about what the adapter sends.
 */
export * from './limits';
export * from './errors';
export * from './names';
export * from './claims';
export * from './json';
export * from './messages';
export * from './serviceErrors';
export * from './restOperations';
export * from './upstream';
export * from './staleConnections';
export * from './clock';
