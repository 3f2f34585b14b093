/**
 * In-process SignalR bindings for Azure Functions (v4 Node model): `signalRInput.connectionInfo`,
 * `signalRInput.endpoints`, `signalRInput.negotiation`, `signalROutput.signalR` and the `withSignalR` wrapper that
 * runs them. See withSignalR.ts for the design and for how the same handler moves to the official extension.
 */
export { signalRInput, signalROutput, DEFAULT_CONNECTION_STRING_SETTING } from './declarations';
export type {
  SignalRConnectionInfoInput,
  SignalRConnectionInfoOptions,
  SignalREndpointsInput,
  SignalREndpointsOptions,
  SignalRNegotiationInput,
  SignalRNegotiationOptions,
  SignalROutput,
  SignalROutputOptions,
} from './declarations';
export type { SignalREndpointInfo } from './endpointJson';
export type { SignalREndpointConnectionInfo, SignalRNegotiationContext } from './endpointInputs';
export type { EndpointRouter, NegotiateContext, RoutableEndpoint } from '../client/endpoints/router';
export { withSignalR } from './withSignalR';
export type { SignalRAdapterOptions } from './withSignalR';
export type { SignalRConnectionInfo, SignalRServiceFactory } from './connectionInfo';
export { normalizeSignalROutput, describeOperation } from './outputItems';
export type { SignalRMessage, SignalRGroupAction, SignalRGroupActionType, SignalROutputValue, SignalROperation, NormalizedItem } from './outputItems';
export { SignalROutputValidationError, SignalRSendError, SignalRInputError } from './errors';
export { parseExpression, resolveExpression } from './expressions';
export { claimsFromIdToken } from './idToken';

export { handleDaprRequest, parseDaprRequest, DAPR_OPERATIONS } from './dapr';
export type { DaprBindingRequest, DaprResult, DaprContext, DaprOperation } from './dapr';

export { signalRTrigger } from './signalRTrigger';
export type { SignalRTriggerOptions, SignalRTriggerDeclaration, SignalRInvocationContext, SignalRTriggerHandler } from './signalRTrigger';
export { signalRApp, SignalRTriggerRegistry, defaultSignalRTriggerRegistry } from './triggerRegistry';
export type { SignalRFunctionOptions } from './triggerRegistry';
export { signalRUpstreamHandler } from './upstreamEndpoint';
export type { SignalRUpstreamOptions } from './upstreamEndpoint';
