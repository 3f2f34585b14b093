/**
 * One SignalR Service instance of a connection setting: its parsed connection string, its own REST client, the
 * client tokens it signs, and its health. `createServiceEndpoint` builds it from one endpoint setting; the
 * service (src/client/service.ts) holds one per setting entry.
 */
import type { SignalRConnectionConfig } from '../config/connectionString';
import type { EndpointSetting } from '../config/endpointSettings';
import { accessKeyAuthorizer, entraAuthorizer } from '../auth/authorizers';
import { createEntraCredential, EntraAccessKeySource, EntraTokenSource, type IdentityModuleLoader, type TokenCredentialLike } from '../auth/entra';
import { TokenIssuer, type ClientTokenRequest } from '../auth/tokens';
import { SignalRRestClient, type SignalRRestClientOptions } from '../rest/client';
import { DEFAULT_MIN_IN_FLIGHT } from '../rest/inFlightLimit';
import type { SignalRRestApi } from '../rest/restApi';
import { normalizeHubName } from '../../contract';
import { describeEndpoint } from './identity';
import { ALWAYS_ONLINE, type EndpointHealthView } from './health';
import type { RoutableEndpoint } from './router';

export interface ClientConnectionOptions {
  userId?: string;
  claims?: Record<string, string | string[]>;
  lifetimeSeconds?: number;
}

export interface ClientConnectionInfo {
  url: string;
  accessToken: string;
}

export interface ServiceEndpoint extends RoutableEndpoint {
  /** The app setting it came from (what configuration errors name). */
  readonly setting: string;
  /** Its parsed connection string; `config.auth` holds its key (never enumerated, never printed). */
  readonly config: SignalRConnectionConfig;
  /** REST calls to this instance alone. */
  readonly rest: SignalRRestApi;
  readonly health: EndpointHealthView;
  /**
   * Negotiate answer for `hub` on this instance: `url` = `{clientEndpoint}/client/?hub={lower-cased hub}` and a
   * token whose `aud` is exactly that url. (The .NET SDK builds `aud` from Endpoint without Port; the emulator
   * accepts either form, and using the url itself keeps `aud` equal to what the client dials.)
   */
  clientConnectionInfo(hub: string, options?: ClientConnectionOptions): Promise<ClientConnectionInfo>;
  /** `[name](Primary)https://…`: log-safe. */
  toString(): string;
}

export interface EndpointClientOptions {
  /** REST client tuning (timeout, retries). */
  rest?: Omit<SignalRRestClientOptions, 'endpoint' | 'authorizer'>;
  /** Entra credential to use instead of one built from the connection string (tests, custom auth). */
  credential?: TokenCredentialLike;
  /** How @azure/identity is loaded (tests). */
  loadIdentity?: IdentityModuleLoader;
}

/** An endpoint plus what only its owner may do. */
export interface OwnedEndpoint {
  readonly endpoint: ServiceEndpoint;
  /** Releases its sockets now. */
  close(): void;
  /** Releases its sockets once its calls in flight have settled. */
  closeWhenIdle(): void;
}

export function clientUrl(clientEndpoint: string, hub: string): string {
  return `${clientEndpoint}/client/?hub=${encodeURIComponent(normalizeHubName(hub))}`;
}

/**
 * The REST policy of the service the bindings use: the in-flight bound follows the service while its calls are
 * slow (down to 16), because a function answers a caller, and past capacity a quick 503 with Retry-After serves
 * that caller better than a queue of seconds. A setting of the app's own (`options.rest`) wins.
 */
function restPolicy(options: EndpointClientOptions): NonNullable<EndpointClientOptions['rest']> {
  return { minInFlight: DEFAULT_MIN_IN_FLIGHT, ...options.rest };
}

type ClientTokenSigner = (audience: string, request: Omit<ClientTokenRequest, 'audience'>) => Promise<string>;

/** The REST client, the client-token signer and what closes them, for one connection string (AccessKey or Entra ID). */
function clientsFor(config: SignalRConnectionConfig, options: EndpointClientOptions): { rest: SignalRRestClient; sign: ClientTokenSigner; close(): void; closeWhenIdle(): void } {
  const auth = config.auth;
  if (auth.kind === 'accessKey') {
    const issuer = new TokenIssuer(auth.accessKey);
    // The key is passed as a secret to redact: it must never reach an error message, even if echoed back.
    const rest = new SignalRRestClient({ ...restPolicy(options), endpoint: config.serverEndpoint, authorizer: accessKeyAuthorizer(issuer), secrets: [auth.accessKey] });
    return {
      rest,
      sign: async (audience, request) => issuer.clientToken({ audience, ...request }),
      close: () => rest.close(),
      closeWhenIdle: () => rest.closeWhenIdle(),
    };
  }
  const credential = options.credential ?? createEntraCredential(auth.credential, auth.authType, config.settingName, options.loadIdentity);
  const tokens = new EntraTokenSource(credential);
  // The access-key request takes the REST client's policy (budget, retries, sockets) like every other call.
  const accessKeys = new EntraAccessKeySource(config.serverEndpoint, tokens, options.rest);
  const rest = new SignalRRestClient({ ...restPolicy(options), endpoint: config.serverEndpoint, authorizer: entraAuthorizer(tokens) });
  return {
    rest,
    sign: async (audience, request) => (await accessKeys.issuer()).clientToken({ audience, ...request }),
    close: () => {
      rest.close();
      accessKeys.close();
    },
    closeWhenIdle: () => {
      rest.closeWhenIdle();
      accessKeys.closeWhenIdle();
    },
  };
}

/** Builds one endpoint; `health` is its health when it has siblings (else it is never checked). */
export function createServiceEndpoint(setting: EndpointSetting, options: EndpointClientOptions = {}, health: EndpointHealthView = ALWAYS_ONLINE): OwnedEndpoint {
  const { config } = setting;
  const { rest, sign, close, closeWhenIdle } = clientsFor(config, options);
  const identity = { name: setting.name, type: setting.type, endpoint: config.endpoint };
  const description = describeEndpoint(identity);
  const endpoint = {
    ...identity,
    setting: setting.setting,
    get online() {
      return health.online;
    },
    async clientConnectionInfo(hub: string, request: ClientConnectionOptions = {}): Promise<ClientConnectionInfo> {
      const url = clientUrl(config.clientEndpoint, hub);
      const tokenRequest: Omit<ClientTokenRequest, 'audience'> = {};
      if (request.userId !== undefined) tokenRequest.userId = request.userId;
      if (request.claims !== undefined) tokenRequest.claims = request.claims;
      if (request.lifetimeSeconds !== undefined) tokenRequest.lifetimeSeconds = request.lifetimeSeconds;
      return { url, accessToken: await sign(url, tokenRequest) };
    },
    toString: () => description,
  };
  // Not enumerable: JSON.stringify / util.inspect of an endpoint show who it is, never the REST client (which
  // holds the key to redact) nor the config's internals.
  Object.defineProperties(endpoint, { config: { value: config }, rest: { value: rest }, health: { value: health } });
  return { endpoint: Object.freeze(endpoint) as ServiceEndpoint, close, closeWhenIdle };
}
