/**
 * Microsoft Entra ID support for connection strings with `AuthType=...`.
 *
 * - REST calls carry an Entra access token for scope `https://signalr.azure.com/.default`.
 * - Client tokens cannot be signed locally without an AccessKey. Like the official SDK
 *   (MicrosoftEntraAccessKey), we fetch a temporary access key with the Entra token from
 *   `GET {serverEndpoint}/api/v1/auth/accessKey` -> `{"KeyId": ..., "AccessKey": ...}`, sign client tokens
 *   with it (header `kid` = KeyId) and refresh it every 55 minutes.
 *
 * `@azure/identity` is an optional dependency: it is loaded with `require` only when a connection string
 * uses AuthType, so the common AccessKey path does not need it installed.
 */
import axios from 'axios';
import { ConfigError, type EntraAuthType, type EntraCredentialSpec } from '../config/connectionString';
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

/** Caches the Entra access token until shortly before it expires; concurrent callers share one fetch. */
export class EntraTokenSource {
  private cached?: AccessTokenLike;
  private pending?: Promise<string>;

  constructor(
    private readonly credential: TokenCredentialLike,
    private readonly refreshMarginMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async token(signal?: AbortSignal): Promise<string> {
    if (this.cached !== undefined && this.cached.expiresOnTimestamp - this.refreshMarginMs > this.now()) return this.cached.token;
    this.pending ??= this.fetch(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetch(signal: AbortSignal | undefined): Promise<string> {
    let result: AccessTokenLike | null;
    try {
      result = await this.credential.getToken(SIGNALR_ENTRA_SCOPE, signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      throw new EntraAuthError(`could not get a Microsoft Entra token for ${SIGNALR_ENTRA_SCOPE}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (result === null || typeof result.token !== 'string' || result.token === '') {
      throw new EntraAuthError(`the Microsoft Entra credential returned no token for ${SIGNALR_ENTRA_SCOPE}`);
    }
    this.cached = result;
    return result.token;
  }
}

const ACCESS_KEY_REFRESH_MS = 55 * 60_000;

/** Fetches and caches the temporary access key used to sign client tokens under Entra auth. */
export class EntraAccessKeySource {
  private current?: { issuer: TokenIssuer; fetchedAt: number };
  private pending?: Promise<TokenIssuer>;

  constructor(
    private readonly serverEndpoint: string,
    private readonly tokens: EntraTokenSource,
    private readonly timeoutMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async issuer(): Promise<TokenIssuer> {
    if (this.current !== undefined && this.now() - this.current.fetchedAt < ACCESS_KEY_REFRESH_MS) return this.current.issuer;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetch(): Promise<TokenIssuer> {
    const url = `${this.serverEndpoint.replace(/\/+$/, '')}/api/v1/auth/accessKey`;
    const entraToken = await this.tokens.token();
    const response = await axios.get<string>(url, {
      headers: { Authorization: `Bearer ${entraToken}` },
      timeout: this.timeoutMs,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
    }).catch((error: unknown) => {
      // Only the message: the axios error's config holds the bearer token.
      throw new EntraAuthError(`could not fetch the access key from ${url}: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (response.status !== 200) {
      throw new EntraAuthError(`fetching the access key from ${url} failed with HTTP ${response.status}${response.status === 401 || response.status === 403 ? ' (check the identity has the SignalR App Server role)' : ''}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.data);
    } catch {
      throw new EntraAuthError(`the access key response from ${url} is not JSON`);
    }
    const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const pick = (name: string): unknown => record[name] ?? record[name.charAt(0).toLowerCase() + name.slice(1)];
    const keyId = pick('KeyId');
    const accessKey = pick('AccessKey');
    if (typeof keyId !== 'string' || keyId === '' || typeof accessKey !== 'string' || accessKey === '') {
      throw new EntraAuthError(`the access key response from ${url} lacks KeyId or AccessKey`);
    }
    const issuer = new TokenIssuer(accessKey, { keyId });
    this.current = { issuer, fetchedAt: this.now() };
    return issuer;
  }
}
