/**
 * Claims of the service's access tokens: where the user id goes, how the service reads it back, and how custom
 * claims are renamed so that a caller can neither override a registered claim nor pose as the service.
 */
import { ServiceRuleError } from './errors';

/** The claim current SDKs put the user id in, and the one the service reads first. */
export const USER_ID_CLAIM = 'asrs.s.uid';

/**
 * Claims the service reads the user id from, in order: the current one, then the names older SDKs and plain
 * identity tokens use.
 */
export const USER_ID_CLAIMS: readonly string[] = [
  USER_ID_CLAIM,
  'nameid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  'sub',
];

/** Prefix of the service's own claims; a caller's claim with it is renamed. */
export const SYSTEM_CLAIM_PREFIX = 'asrs.s.';

/** Prefix the SDKs give custom claims whose names collide with registered or system claims. */
export const USER_CLAIM_PREFIX = 'asrs.u.';

/** Registered claim names a caller may not set directly; they are renamed to `asrs.u.<name>`. */
export const RESERVED_CLAIM_NAMES: ReadonlySet<string> = new Set([
  'aud', 'exp', 'iat', 'nbf', 'iss', 'actort', 'acr', 'azp', 'c_hash', 'jti', 'nonce',
]);

export type ClaimValues = Record<string, string | readonly string[]>;

/**
 * Maps caller claims to token claims: reserved and system names are renamed to `asrs.u.<name>`; a claim type
 * given several values becomes a JSON array, one value stays a string, no values is left out.
 * Throws a ServiceRuleError (parameter `claims`) for an empty name or a value that is not a string.
 */
export function toTokenClaims(claims: ClaimValues | undefined): Record<string, string | string[]> {
  const mapped: Record<string, string | string[]> = {};
  if (claims === undefined) return mapped;
  for (const [name, raw] of Object.entries(claims)) {
    if (name === '') throw new ServiceRuleError('claims', 'claim names must be non-empty');
    const values = typeof raw === 'string' ? [raw] : Array.from(raw);
    for (const value of values) {
      if (typeof value !== 'string') throw new ServiceRuleError('claims', `claim '${name}' values must be strings`);
    }
    if (values.length === 0) continue;
    const isReserved = RESERVED_CLAIM_NAMES.has(name) || name.startsWith(SYSTEM_CLAIM_PREFIX);
    const target = isReserved ? `${USER_CLAIM_PREFIX}${name}` : name;
    const previous = mapped[target];
    const merged = previous === undefined ? values : [...(Array.isArray(previous) ? previous : [previous]), ...values];
    mapped[target] = merged.length === 1 ? merged[0]! : merged;
  }
  return mapped;
}

/** The user a verified token names, read as the service reads it (first non-empty claim of USER_ID_CLAIMS). */
export function userIdFromClaims(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of USER_ID_CLAIMS) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
    if (Array.isArray(value) && typeof value[0] === 'string' && value[0] !== '') return value[0];
  }
  return undefined;
}
