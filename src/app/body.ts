import type { HttpRequest } from '@azure/functions';
import { fieldIgnoringCase } from '../contract';
import { badRequest } from '../bindings/httpErrors';

/**
 * Reads the request body as JSON. The content type is not enforced (curl and fetch users often omit it),
 * but the text must parse: malformed JSON is a 400 `InvalidJson`, an empty body a 400 `MissingBody`.
 */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  let text: string;
  try {
    text = await request.text();
  } catch {
    throw badRequest('InvalidBody', 'the request body could not be read');
  }
  if (text.trim() === '') throw badRequest('MissingBody', 'a JSON request body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse's message says where parsing stopped; it quotes at most a few characters of the body.
    const detail = error instanceof Error ? `: ${error.message}` : '';
    throw badRequest('InvalidJson', `the request body is not valid JSON${detail}`);
  }
}

/** Reads a JSON body that must be an object (not an array or a primitive). */
export async function readJsonObjectBody(request: HttpRequest): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('InvalidBody', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * An optional string field of a body object. Absent or null is `undefined`; anything but a non-empty string
 * is a 400 naming the field. Keys are matched ignoring case, like the SignalR bindings' JSON contract.
 */
export function optionalStringField(body: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const value = fieldIgnoringCase(body, field);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw badRequest('InvalidField', `"${field}" must be a non-empty string`, field);
  }
  return value;
}
