/**
 * The two inputs the official extension offers for several SignalR Service endpoints, with its JSON shapes:
 *
 * - `signalREndpoints`: `[{endpointType, name, endpoint, online}]`, every endpoint of the connection setting
 *   with its current health (one entry for a single endpoint, named `''`).
 * - `signalRNegotiation`: `{endpoints: [{endpointType, name, endpoint, online, connectionInfo: {url, accessToken}}]}`,
 *   a client token on every endpoint, offline ones included (as officially: the function chooses), made
 *   concurrently. A token that cannot be made on one endpoint fails the input, as officially; the error says which.
 */
import type { SignalRConnectionInfo } from './connectionInfo';
import { defaultServiceFactory, resolveHubName, resolveTokenRequest, type SignalRServiceFactory } from './connectionInfo';
import type { ConnectionInfoSpec } from './declarations';
import { toEndpointInfo, type SignalREndpointInfo } from './endpointJson';
import type { ParsedExpression, ResolutionSource } from './expressions';

export interface SignalREndpointConnectionInfo extends SignalREndpointInfo {
  connectionInfo: SignalRConnectionInfo;
}

/** What the `signalRNegotiation` input yields (the official NegotiationContext). */
export interface SignalRNegotiationContext {
  endpoints: SignalREndpointConnectionInfo[];
}

export async function resolveEndpointsInput(
  spec: { hubName: ParsedExpression; connectionStringSetting: string },
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
): Promise<SignalREndpointInfo[]> {
  // The hub is checked (a bad one is an error as with the other inputs) though the list does not depend on it.
  await resolveHubName(spec.hubName, source);
  return serviceFactory(spec.connectionStringSetting, source.env).endpoints.map(toEndpointInfo);
}

export async function resolveNegotiationInput(
  spec: ConnectionInfoSpec,
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
): Promise<SignalRNegotiationContext> {
  const { hub, options } = await resolveTokenRequest(spec, source);
  const service = serviceFactory(spec.connectionStringSetting, source.env);
  const endpoints = await Promise.all(
    service.endpoints.map(async (endpoint) => {
      const info = await endpoint.clientConnectionInfo(hub, options);
      return { ...toEndpointInfo(endpoint), connectionInfo: { url: info.url, accessToken: info.accessToken } };
    }),
  );
  return { endpoints };
}
