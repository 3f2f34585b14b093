/**
 * Microsoft Entra ID support for connection strings with `AuthType=...`.
 *
 * - REST calls carry an Entra access token for scope `https://signalr.azure.com/.default`.
 * - Client tokens cannot be signed locally without an AccessKey. Like the official SDK
 *   (MicrosoftEntraAccessKey), we fetch a temporary access key with the Entra token from
 *   `GET {serverEndpoint}/api/v1/auth/accessKey` -> `{"KeyId": ..., "AccessKey": ...}`, sign client tokens
 *   with it (header `kid` = KeyId) and refresh it every 55 minutes. That GET goes through the REST client's
 *   request executor, so it has the policy of every other call: a time budget, retries (it is idempotent), keep-
 *   alive with the stale-connection resend, typed errors without secrets.
 * - Both the Entra token and the access key are shared by concurrent callers (src/client/auth/sharedRefresh.ts):
 *   one fetch, each caller waiting with its own abort signal; a stale value is served while it is refreshed.
 *
 * `@azure/identity` is an optional dependency: it is loaded with `require` only when a connection string
 * uses AuthType, so the common AccessKey path does not need it installed.
 */
import { ConfigError, type EntraAuthType, type EntraCredentialSpec } from '../config/connectionString';
import { DEFAULT_REST_TIMEOUT_MS } from '../rest/client';
import { SignalRServiceError } from '../rest/errors';
import { RequestExecutor, type RequestExecutorOptions, type RestAuthorizer } from '../rest/requestExecutor';
import { SharedRefresh, untilAborted } from './sharedRefresh';
import { TokenIssuer } from './tokens';

export const SIGNALR_ENTRA_SCOPE = 'https://signalr.azure.com/.default';

/** The subset of `@azure/core-auth`'s TokenCredential we use. */
export interface AccessTokenLike {
  token: string;
  expiresOnTimestamp: number;
}
export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<AccessTokenLike | null>;
}

export type IdentityModuleLoader = () => unknown;

const defaultLoader: IdentityModuleLoader = () => require('@azure/identity') as unknown;

type CredentialConstructor = new (...args: unknown[]) => TokenCredentialLike;

function constructorFrom(module: unknown, name: string, settingName: string): CredentialConstructor {
  const candidate = module !== null && typeof module === 'object' ? (module as Record<string, unknown>)[name] : undefined;
  if (typeof candidate !== 'function') {
    throw new ConfigError(settingName, `the installed @azure/identity has no ${name}; install a current version`, 'AuthType');
  }
  return candidate as CredentialConstructor;
}

/** Builds the credential the connection string asks for, loading @azure/identity on first use. */
export function createEntraCredential(
  spec: EntraCredentialSpec,
  authType: EntraAuthType,
  settingName: string,
  load: IdentityModuleLoader = defaultLoader,
): TokenCredentialLike {
  let identity: unknown;
  try {
    identity = load();
  } catch (error) {
    const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
    if (code === 'MODULE_NOT_FOUND') {
      throw new ConfigError(
        settingName,
        `AuthType=${authType} (Microsoft Entra ID) needs the optional package @azure/identity; install it with "npm install @azure/identity"`,
        'AuthType',
      );
    }
    throw error;
  }
  switch (spec.type) {
    case 'default':
      return new (constructorFrom(identity, 'DefaultAzureCredential', settingName))();
    case 'managedIdentity': {
      const ctor = constructorFrom(identity, 'ManagedIdentityCredential', settingName);
      return spec.clientId === undefined ? new ctor() : new ctor(spec.clientId);
    }
    case 'clientSecret':
      return new (constructorFrom(identity, 'ClientSecretCredential', settingName))(spec.tenantId, spec.clientId, spec.clientSecret);
    case 'clientCertificate':
      return new (constructorFrom(identity, 'ClientCertificateCredential', settingName))(spec.tenantId, spec.clientId, spec.certificatePath);
  }
}

export class EntraAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntraAuthError';
  }
}

export interface EntraTokenSourceOptions {
  /** A token is refreshed this long before it expires. Default 5 minutes. */
  refreshMarginMs?: number;
  /** Time budget of one credential call. Default 10 s (the REST client's default budget). */
  timeoutMs?: number;
  now?: () => number;
}

/** A token with less than this left is not handed out any more: a call made with it could outlive it. */
const MIN_TOKEN_REMAINING_MS = 60_000;

/** The Entra access token for the SignalR scope, cached, refreshed before it expires by one shared fetch. */
export class EntraTokenSource {
  private readonly cache: SharedRefresh<AccessTokenLike>;
  private readonly timeoutMs: number;

  constructor(
    private readonly credential: TokenCredentialLike,
    options: EntraTokenSourceOptions = {},
  ) {
    const margin = options.refreshMarginMs ?? 5 * 60_000;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
    this.cache = new SharedRefresh(
      () => this.fetch(),
      (token, _fetchedAt, now) => ({ fresh: token.expiresOnTimestamp - margin > now, usable: token.expiresOnTimestamp - MIN_TOKEN_REMAINING_MS > now }),
      options.now,
    );
  }

  /** The token; `signal` abandons this caller's wait only. */
  async token(signal?: AbortSignal): Promise<string> {
    return (await this.cache.get(signal)).token;
  }

  private async fetch(): Promise<AccessTokenLike> {
    // The credential gets the budget's signal; one that ignores it is cut off all the same.
    const budget = AbortSignal.timeout(this.timeoutMs);
    let result: AccessTokenLike | null;
    try {
      result = await untilAborted(this.credential.getToken(SIGNALR_ENTRA_SCOPE, { abortSignal: budget }), budget);
    } catch (error) {
      const reason = budget.aborted ? `no answer within ${this.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      throw new EntraAuthError(`could not get a Microsoft Entra token for ${SIGNALR_ENTRA_SCOPE}: ${reason}`);
    }
    if (result === null || typeof result.token !== 'string' || result.token === '') {
      throw new EntraAuthError(`the Microsoft Entra credential returned no token for ${SIGNALR_ENTRA_SCOPE}`);
    }
    return result;
  }
}

/** REST calls authorized with the Entra token; the call's abort signal abandons its own wait for the token only. */
export function entraAuthorizer(tokens: EntraTokenSource): RestAuthorizer {
  return { authorization: async (_audience, call) => `Bearer ${await tokens.token(call.signal)}` };
}

/**
 * The official SDK fetches a new access key every 55 minutes and keeps signing with the last one for up to 120
 * minutes after it was fetched when refreshing fails; so do we.
 */
export const ACCESS_KEY_REFRESH_MS = 55 * 60_000;
export const ACCESS_KEY_USABLE_MS = 120 * 60_000;
const ACCESS_KEY_PATH = '/api/v1/auth/accessKey';

/** The REST client's options (time budget, retries, sockets) for the access-key request, and a clock for tests. */
export type EntraAccessKeySourceOptions = Partial<Omit<RequestExecutorOptions, 'endpoint' | 'authorizer'>> & { now?: () => number };

/** Fetches and caches the temporary access key used to sign client tokens under Entra auth. */
export class EntraAccessKeySource {
  private readonly executor: RequestExecutor;
  private readonly cache: SharedRefresh<TokenIssuer>;
  private readonly url: string;

  constructor(serverEndpoint: string, tokens: EntraTokenSource, options: EntraAccessKeySourceOptions = {}) {
    const endpoint = serverEndpoint.replace(/\/+$/, '');
    this.url = `${endpoint}${ACCESS_KEY_PATH}`;
    const { now, ...rest } = options;
    this.executor = new RequestExecutor({ timeoutMs: DEFAULT_REST_TIMEOUT_MS, ...rest, endpoint, authorizer: entraAuthorizer(tokens) });
    this.cache = new SharedRefresh(
      () => this.fetch(),
      (_issuer, fetchedAt, at) => ({ fresh: at - fetchedAt < ACCESS_KEY_REFRESH_MS, usable: at - fetchedAt < ACCESS_KEY_USABLE_MS }),
      now,
    );
  }

  /** The issuer signing with the current key; `signal` abandons this caller's wait only. */
  issuer(signal?: AbortSignal): Promise<TokenIssuer> {
    return this.cache.get(signal);
  }

  /** Releases the pooled sockets. */
  close(): void {
    this.executor.close();
  }

  /** Releases the pooled sockets once a key request in flight has settled. */
  closeWhenIdle(): void {
    this.executor.closeWhenIdle();
  }

  private async fetch(): Promise<TokenIssuer> {
    let body: string;
    try {
      const response = await this.executor.execute({
        context: { operation: 'getAccessKey' },
        idempotency: 'idempotent',
        method: 'GET',
        path: ACCESS_KEY_PATH,
        query: '',
        accepts: (status) => status === 200,
      });
      body = response.data;
    } catch (error) {
      // The executor's errors carry neither the Entra token nor the key (src/client/rest/errors.ts).
      const hint = error instanceof SignalRServiceError && (error.status === 401 || error.status === 403) ? ' (check the identity has the SignalR App Server role)' : '';
      throw new EntraAuthError(`could not fetch the access key from ${this.url}: ${error instanceof Error ? error.message : String(error)}${hint}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new EntraAuthError(`the access key response from ${this.url} is not JSON`);
    }
    const record = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    const pick = (name: string): unknown => record[name] ?? record[name.charAt(0).toLowerCase() + name.slice(1)];
    const keyId = pick('KeyId');
    const accessKey = pick('AccessKey');
    if (typeof keyId !== 'string' || keyId === '' || typeof accessKey !== 'string' || accessKey === '') {
      throw new EntraAuthError(`the access key response from ${this.url} lacks KeyId or AccessKey`);
    }
    return new TokenIssuer(accessKey, { keyId });
  }
}
