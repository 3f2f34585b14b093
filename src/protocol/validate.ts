import { ProtocolError } from './messages';

/** Small field checks shared by the JSON and MessagePack parsers; errors name the field. */
export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ProtocolError(`Expected '${field}' to be of type string.`);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return requireString(value, field);
}

export function requireArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ProtocolError(`Expected '${field}' to be an array.`);
  return value;
}

export function optionalStringArray(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = requireArray(value, field);
  return items.map((item) => requireString(item, field));
}

export function optionalHeaders(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ProtocolError("Expected 'headers' to be an object.");
  const headers: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) headers[key] = requireString(item, `headers.${key}`);
  return headers;
}

export function requireNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ProtocolError(`Expected '${field}' to be a number.`);
  return value;
}
