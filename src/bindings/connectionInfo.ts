import type { HttpRequest } from '@azure/functions';
import type { EndpointRouter } from '../client/endpoints/router';
import { getSignalRService, type ClientConnectionOptions, type NegotiateOptions, type SignalRService } from '../client/service';
import type { ConnectionInfoSpec, OutputSpec } from './declarations';
import { SignalRInputError } from './errors';
import { resolveExpression, type Environment, type ParsedExpression, type ResolutionSource } from './expressions';
import { claimsFromIdToken } from './idToken';
import { HUB_NAME_RULE, isValidHubName } from '../contract';

/** What the connection-info input yields: the body negotiate returns to a SignalR client. */
export interface SignalRConnectionInfo {
  url: string;
  accessToken: string;
}

export type SignalRServiceFactory = (settingName: string, env: Environment) => SignalRService;

export const defaultServiceFactory: SignalRServiceFactory = (settingName, env) => getSignalRService(settingName, env);

/** Resolves a hub-name expression and checks it; the error blames the caller only if the request supplied it. */
export async function resolveHubName(expression: ParsedExpression, source: ResolutionSource): Promise<string> {
  const hub = await resolveExpression(expression, source);
  if (hub === undefined || hub === '') {
    throw new SignalRInputError('hubName', `hubName '${expression.source}' resolved to no value`, expression.usesRequest);
  }
  if (!isValidHubName(hub)) {
    throw new SignalRInputError(
      'hubName',
      `hub name ${JSON.stringify(hub.slice(0, 140))} is invalid: ${HUB_NAME_RULE}`,
      expression.usesRequest,
    );
  }
  return hub;
}

/** The hub and the client-token request (user, claims, lifetime) a connection-info declaration yields for this request. */
export async function resolveTokenRequest(spec: ConnectionInfoSpec, source: ResolutionSource): Promise<{ hub: string; options: ClientConnectionOptions }> {
  const hub = await resolveHubName(spec.hubName, source);
  const userId = spec.userId === undefined ? undefined : await resolveExpression(spec.userId, source);
  const idToken = spec.idToken === undefined ? undefined : await resolveExpression(spec.idToken, source);
  const claims = claimsFromIdToken(idToken, spec.claimTypeList);
  const options: ClientConnectionOptions = {};
  if (userId !== undefined) options.userId = userId;
  if (claims !== undefined) options.claims = claims;
  if (spec.tokenLifetimeSeconds !== undefined) options.lifetimeSeconds = spec.tokenLifetimeSeconds;
  return { hub, options };
}

/**
 * Resolves one `signalRConnectionInfo` input for this request: `{url, accessToken}` for the hub, with the
 * user id (if the expression yields one) and the claims copied from the id token, on the endpoint the router
 * picks (it sees the request's headers and query).
 */
export async function resolveConnectionInfo(
  spec: ConnectionInfoSpec,
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
  router?: Partial<EndpointRouter>,
): Promise<SignalRConnectionInfo> {
  const { hub, options } = await resolveTokenRequest(spec, source);
  const service = serviceFactory(spec.connectionStringSetting, source.env);
  const request: NegotiateOptions = { ...options, request: { headers: source.request.headers, query: source.request.query } };
  if (router !== undefined) request.router = router;
  const info = await service.clientConnectionInfo(hub, request);
  return { url: info.url, accessToken: info.accessToken };
}

/** The service and hub a `signalR` output sends to, for this request. */
export async function resolveOutputTarget(
  spec: OutputSpec,
  source: ResolutionSource,
  serviceFactory: SignalRServiceFactory = defaultServiceFactory,
): Promise<{ service: SignalRService; hub: string }> {
  const hub = await resolveHubName(spec.hubName, source);
  return { service: serviceFactory(spec.connectionStringSetting, source.env), hub };
}

export type { HttpRequest };
