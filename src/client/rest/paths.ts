/**
 * Validation and encoding of the REST path parameters. Each check throws a `RestArgumentError`
 * naming the parameter, before any request is made.
 */

import { HUB_NAME_PATTERN, MAX_GROUP_NAME_LENGTH } from '../../contract/names';

export class RestArgumentError extends Error {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.name = 'RestArgumentError';
    this.parameter = parameter;
  }
}

/**
 * A message too large for the service (over its 1 MB body limit), refused before upload. A RestArgumentError
 * still, but its own class so callers answer it as the service would (413), not as a malformed argument (400).
 */
export class PayloadTooLargeError extends RestArgumentError {
  constructor(parameter: string, message: string) {
    super(parameter, message);
    this.name = 'PayloadTooLargeError';
  }
}

/** Validates a hub name and lower-cases it, as the SDKs do (the service treats hubs case-insensitively). */
export function normalizeHub(hub: unknown): string {
  if (typeof hub !== 'string' || !HUB_NAME_PATTERN.test(hub)) {
    throw new RestArgumentError(
      'hub',
      `invalid hub name ${JSON.stringify(typeof hub === 'string' ? hub.slice(0, 140) : hub)}: must start with a letter and contain only letters, digits and _\`,.[] (at most 128 characters)`,
    );
  }
  return hub.toLowerCase();
}

export function validateGroup(group: unknown, parameter = 'group'): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > MAX_GROUP_NAME_LENGTH || group.trim() === '') {
    throw new RestArgumentError(parameter, `group name must be 1-${MAX_GROUP_NAME_LENGTH} characters and not only whitespace`);
  }
  return group;
}

/**
 * User and connection ids get the same 1024-character bound as group names. The REST token's `aud` holds the
 * request URL, and the service refuses tokens over 4 KB: an unbounded id would come back as a 401 from the
 * service (a 502 to our caller) instead of a clear 400 here.
 */
export const MAX_ID_LENGTH = 1024;

export function validateId(value: unknown, parameter: 'userId' | 'connectionId'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new RestArgumentError(parameter, 'must be a non-empty string');
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new RestArgumentError(parameter, `must be at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

export function validateExcluded(excluded: readonly string[] | undefined, parameter = 'excluded'): readonly string[] {
  if (excluded === undefined) return [];
  if (!Array.isArray(excluded)) throw new RestArgumentError(parameter, 'must be an array of strings');
  for (const value of excluded) {
    if (typeof value !== 'string' || value === '') throw new RestArgumentError(parameter, 'entries must be non-empty strings');
  }
  return excluded;
}

/** Percent-encodes one path segment; unlike encodeURI this also encodes `/`, `?`, `#` and `%`. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** Builds `/api/hubs/{hub}/...` from raw (unencoded) parts. `:send` style action suffixes are passed literally. */
export function hubPath(hub: string, ...parts: ReadonlyArray<string | { literal: string }>): string {
  const encoded = parts.map((part) => (typeof part === 'string' ? segment(part) : part.literal));
  return ['/api/hubs', segment(hub), ...encoded].join('/');
}
