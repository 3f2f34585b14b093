/**
 * Entry point for everything that talks to Azure SignalR Service: the parsed config, the REST client,
 * and the negotiate answer (`{url, accessToken}`) for clients.
 *
 * `getSignalRService()` caches one service per (app setting, connection-string value), so the signing
 * key object, the keep-alive agents and the token caches are built once per process and a changed
 * setting value yields a fresh service.
 */
import { type SignalRConnectionConfig } from './config/connectionString';
import { DEFAULT_CONNECTION_SETTING, readConnectionStringValue, type Environment } from './config/settings';
import { parseConnectionString } from './config/connectionString';
import { accessKeyAuthorizer, entraAuthorizer } from './auth/authorizers';
import { createEntraCredential, EntraAccessKeySource, EntraTokenSource, type IdentityModuleLoader, type TokenCredentialLike } from './auth/entra';
import { TokenIssuer, type ClientTokenRequest } from './auth/tokens';
import { SignalRRestClient, type SignalRRestClientOptions } from './rest/client';
import { normalizeHubName } from '../contract';
import type { SignalRRestApi } from './rest/restApi';

export interface ClientConnectionOptions {
  userId?: string;
  claims?: Record<string, string | string[]>;
  lifetimeSeconds?: number;
}

export interface ClientConnectionInfo {
  url: string;
  accessToken: string;
}

export interface SignalRService {
  readonly config: SignalRConnectionConfig;
  readonly rest: SignalRRestApi;
  /**
   * Negotiate answer for `hub`: `url` = `{clientEndpoint}/client/?hub={lower-cased hub}` and a token
   * whose `aud` is exactly that url. (The .NET SDK builds `aud` from Endpoint without Port; our
   * emulator accepts either form, and using the url itself keeps `aud` equal to what the client dials.)
   */
  clientConnectionInfo(hub: string, options?: ClientConnectionOptions): Promise<ClientConnectionInfo>;
}

export interface CreateServiceOptions {
  /** REST client tuning (timeout, retries). */
  rest?: Omit<SignalRRestClientOptions, 'endpoint' | 'authorizer'>;
  /** Entra credential to use instead of one built from the connection string (tests, custom auth). */
  credential?: TokenCredentialLike;
  /** How @azure/identity is loaded (tests). */
  loadIdentity?: IdentityModuleLoader;
}

/** A service plus `close()`, for owners that must release sockets (tests, shutdown). */
export interface ClosableSignalRService extends SignalRService {
  close(): void;
}

export function clientUrl(clientEndpoint: string, hub: string): string {
  return `${clientEndpoint}/client/?hub=${encodeURIComponent(normalizeHubName(hub))}`;
}

/** Builds a service for an already parsed config (no caching). */
export function createSignalRService(config: SignalRConnectionConfig, options: CreateServiceOptions = {}): ClosableSignalRService {
  const auth = config.auth;
  let rest: SignalRRestClient;
  let closeAccessKeys = (): void => undefined;
  let signClientToken: (audience: string, request: Omit<ClientTokenRequest, 'audience'>) => Promise<string>;

  if (auth.kind === 'accessKey') {
    const issuer = new TokenIssuer(auth.accessKey);
    // The key is passed as a secret to redact: it must never reach an error message, even if echoed back.
    rest = new SignalRRestClient({ ...options.rest, endpoint: config.serverEndpoint, authorizer: accessKeyAuthorizer(issuer), secrets: [auth.accessKey] });
    signClientToken = async (audience, request) => issuer.clientToken({ audience, ...request });
  } else {
    const credential = options.credential ?? createEntraCredential(auth.credential, auth.authType, config.settingName, options.loadIdentity);
    const tokens = new EntraTokenSource(credential);
    // The access-key request takes the REST client's policy (budget, retries, sockets) like every other call.
    const accessKeys = new EntraAccessKeySource(config.serverEndpoint, tokens, options.rest);
    closeAccessKeys = () => accessKeys.close();
    rest = new SignalRRestClient({ ...options.rest, endpoint: config.serverEndpoint, authorizer: entraAuthorizer(tokens) });
    signClientToken = async (audience, request) => (await accessKeys.issuer()).clientToken({ audience, ...request });
  }

  return {
    config,
    rest,
    async clientConnectionInfo(hub: string, request: ClientConnectionOptions = {}): Promise<ClientConnectionInfo> {
      const url = clientUrl(config.clientEndpoint, hub);
      const tokenRequest: Omit<ClientTokenRequest, 'audience'> = {};
      if (request.userId !== undefined) tokenRequest.userId = request.userId;
      if (request.claims !== undefined) tokenRequest.claims = request.claims;
      if (request.lifetimeSeconds !== undefined) tokenRequest.lifetimeSeconds = request.lifetimeSeconds;
      return { url, accessToken: await signClientToken(url, tokenRequest) };
    },
    close: () => {
      rest.close();
      closeAccessKeys();
    },
  };
}

const cache = new Map<string, ClosableSignalRService>();

/**
 * The service for the connection string in app setting `settingName` (default
 * `AzureSignalRConnectionString`). Throws `ConfigError` naming the setting when it is missing or invalid.
 */
export function getSignalRService(settingName: string = DEFAULT_CONNECTION_SETTING, env: Environment = process.env): SignalRService {
  const value = readConnectionStringValue(settingName, env);
  const key = `${settingName}\u0000${value}`;
  let service = cache.get(key);
  if (service === undefined) {
    service = createSignalRService(parseConnectionString(value, settingName));
    cache.set(key, service);
  }
  return service;
}

/** Closes and forgets every cached service (tests, graceful shutdown). */
export function resetSignalRServiceCache(): void {
  for (const service of cache.values()) service.close();
  cache.clear();
}
