/**
 * The service's naming rules (the 2022-06-01 swagger's parameter constraints), with one validator and one
 * message per kind of name. Each validator returns the value when it is valid and throws a ServiceRuleError
 * naming `parameter` otherwise; the `is...` forms answer without throwing.
 */
import { ServiceRuleError } from './errors';
import { MAX_CONNECTION_ID_LENGTH, MAX_GROUP_NAME_LENGTH, MAX_HUB_NAME_LENGTH, MAX_USER_ID_LENGTH } from './limits';

/** Hub names: a letter, then up to 127 letters, digits or _`,.[] (the SDKs lower-case them). */
export const HUB_NAME_PATTERN = new RegExp(`^[A-Za-z][A-Za-z0-9_\`,.[\\]]{0,${MAX_HUB_NAME_LENGTH - 1}}$`);

/** What a valid hub name looks like, for messages. */
export const HUB_NAME_RULE = `it must start with a letter and contain only letters, digits and _\`,.[] (at most ${MAX_HUB_NAME_LENGTH} characters)`;

/** A short, printable rendering of a refused value (never more than a line of it). */
function shown(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'no value' : `a ${value === null ? 'null' : typeof value}`;
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

export function isValidHubName(value: unknown): boolean {
  return typeof value === 'string' && HUB_NAME_PATTERN.test(value);
}

/** A hub name (or the `application` prefix, which follows the same rule). */
export function checkHubName(value: unknown, parameter = 'hub'): string {
  if (!isValidHubName(value)) throw new ServiceRuleError(parameter, `hub name ${shown(value)} is invalid: ${HUB_NAME_RULE}`);
  return value as string;
}

/** The service treats hubs case-insensitively and the SDKs send them lower-cased; so do we. */
export function normalizeHubName(value: unknown, parameter = 'hub'): string {
  return checkHubName(value, parameter).toLowerCase();
}

/** What a valid group name looks like, for messages. */
export const GROUP_NAME_RULE = `it must be 1-${MAX_GROUP_NAME_LENGTH} characters and not only whitespace`;

export function isValidGroupName(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_GROUP_NAME_LENGTH && value.trim() !== '';
}

export function checkGroupName(value: unknown, parameter = 'group'): string {
  if (!isValidGroupName(value)) {
    throw new ServiceRuleError(parameter, `group name is invalid: ${GROUP_NAME_RULE}`);
  }
  return value as string;
}

function checkId(value: unknown, parameter: string, what: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceRuleError(parameter, `${what} must be a non-empty string`);
  if (value.length > maxLength) throw new ServiceRuleError(parameter, `${what} must be at most ${maxLength} characters`);
  return value;
}

export function checkUserId(value: unknown, parameter = 'userId'): string {
  return checkId(value, parameter, 'user id', MAX_USER_ID_LENGTH);
}

export function checkConnectionId(value: unknown, parameter = 'connectionId'): string {
  return checkId(value, parameter, 'connection id', MAX_CONNECTION_ID_LENGTH);
}
