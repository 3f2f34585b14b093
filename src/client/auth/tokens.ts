/**
 * Issues the HS256 JWTs Azure SignalR Service accepts: REST-call tokens and client (negotiate) tokens.
 *
 * The key is the UTF-8 bytes of the AccessKey string (not base64-decoded). It is turned into a
 * `KeyObject` once: jsonwebtoken re-imports a string secret on every sign (~40x slower per token).
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { SignOptions } from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { jsonwebtoken } from './jsonwebtoken';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, MAX_ACCESS_TOKEN_LENGTH, ServiceRuleError, toTokenClaims, USER_ID_CLAIM, type ClaimValues } from '../../contract';

export interface ClientTokenRequest {
  /** Normally `{clientEndpoint}/client/?hub={hub}`. */
  audience: string;
  userId?: string;
  claims?: ClaimValues;
  lifetimeSeconds?: number;
}

export interface TokenIssuerOptions {
  /** Optional `kid` header (Entra ID access keys carry one). */
  keyId?: string;
  /**
   * REST tokens are reused while they have more than this share of their lifetime left
   * (0 disables caching). Default 0.9: a 1-hour token is reused for 6 minutes.
   */
  restTokenReuseFraction?: number;
  /** Clock, for tests. Milliseconds since the epoch. */
  now?: () => number;
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

function validateLifetime(lifetimeSeconds: number): void {
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
    throw new TokenError(`token lifetime must be a positive whole number of seconds, got ${String(lifetimeSeconds)}`);
  }
}

/** The contract's claim mapping; a bad claim is a TokenError like every other problem with a token request. */
function tokenClaims(claims: ClaimValues | undefined): Record<string, string | string[]> {
  try {
    return toTokenClaims(claims);
  } catch (error) {
    if (error instanceof ServiceRuleError) throw new TokenError(error.problem);
    throw error;
  }
}

function validateAudience(audience: string): void {
  if (typeof audience !== 'string' || audience === '') throw new TokenError('token audience must be a non-empty string');
}

interface CachedToken {
  token: string;
  reuseUntilMs: number;
}

/**
 * Upper bound on cached REST tokens. Their audiences hold user and group ids, so without a bound the cache would
 * grow with the app's users. Least recently used first out: an app sending to more users than this keeps its
 * busiest ones cached instead of emptying the whole cache at once (the cliff a clear-when-full cache has).
 */
const MAX_CACHED_AUDIENCES = 10_000;

export class TokenIssuer {
  private readonly key: KeyObject;
  /** Made once: jsonwebtoken reads them on every sign. */
  private readonly signOptions: SignOptions;
  private readonly reuseFraction: number;
  private readonly now: () => number;
  private readonly restCache = new LRUCache<string, CachedToken>({ max: MAX_CACHED_AUDIENCES });

  constructor(accessKey: string, options: TokenIssuerOptions = {}) {
    if (typeof accessKey !== 'string' || accessKey === '') throw new TokenError('the access key is empty');
    this.key = createSecretKey(Buffer.from(accessKey, 'utf8'));
    this.signOptions = options.keyId === undefined ? { algorithm: 'HS256' } : { algorithm: 'HS256', keyid: options.keyId };
    const fraction = options.restTokenReuseFraction ?? 0.9;
    this.reuseFraction = Math.min(Math.max(fraction, 0), 1);
    this.now = options.now ?? Date.now;
  }

  /** Token for one REST call; `audience` is the request URL without query string. */
  restToken(audience: string, lifetimeSeconds: number = DEFAULT_TOKEN_LIFETIME_SECONDS): string {
    validateAudience(audience);
    validateLifetime(lifetimeSeconds);
    const nowMs = this.now();
    const cacheKey = `${lifetimeSeconds}\u0000${audience}`;
    if (this.reuseFraction < 1) {
      const cached = this.restCache.get(cacheKey);
      if (cached !== undefined && cached.reuseUntilMs > nowMs) return cached.token;
    }
    const token = this.sign({ aud: audience }, lifetimeSeconds, nowMs);
    if (this.reuseFraction < 1) {
      // Reuse while more than `reuseFraction` of the lifetime remains, so a cached token never arrives nearly expired.
      const reuseForMs = Math.floor(lifetimeSeconds * 1000 * (1 - this.reuseFraction));
      this.restCache.set(cacheKey, { token, reuseUntilMs: nowMs + reuseForMs });
    }
    return token;
  }

  /** Token a client presents to the service, carrying the user id and custom claims. */
  clientToken(request: ClientTokenRequest): string {
    validateAudience(request.audience);
    const lifetimeSeconds = request.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    validateLifetime(lifetimeSeconds);
    // Built in place, in claim order (custom claims, aud, user, times): this runs once per negotiate.
    const payload: Record<string, unknown> = tokenClaims(request.claims);
    payload.aud = request.audience;
    if (request.userId !== undefined && request.userId !== '') {
      if (typeof request.userId !== 'string') throw new TokenError('userId must be a string');
      payload[USER_ID_CLAIM] = request.userId;
    }
    const token = this.sign(payload, lifetimeSeconds, this.now());
    if (token.length > MAX_ACCESS_TOKEN_LENGTH) {
      throw new TokenError(
        `client access token would be ${token.length} characters, over the service limit of ${MAX_ACCESS_TOKEN_LENGTH}; send fewer or shorter claims`,
      );
    }
    return token;
  }

  /** Signs `claims` (a fresh object this issuer owns: the times are added to it) for `lifetimeSeconds` from now. */
  private sign(claims: Record<string, unknown>, lifetimeSeconds: number, nowMs: number): string {
    const iat = Math.floor(nowMs / 1000);
    claims.iat = iat;
    claims.nbf = iat;
    claims.exp = iat + lifetimeSeconds;
    return jsonwebtoken().sign(claims, this.key, this.signOptions);
  }
}
