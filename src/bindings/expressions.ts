import type { HttpRequest } from '@azure/functions';
import { fieldIgnoringCase, isPlainObject } from '../contract';

/**
 * Binding expressions as the Functions host resolves them for an HTTP trigger, so a declaration such as
 * `userId: '{headers.x-ms-client-principal-id}'` means the same here as with the official extension:
 *
 * - `{headers.<name>}`  a request header (names are case-insensitive)
 * - `{query.<name>}`    a query-string parameter
 * - `{<name>}`          a route parameter (`request.params`), else a field of a JSON object body;
 *                       `{a.b}` walks into nested body objects
 * - `%<Setting>%`       an app setting (the host substitutes these at startup)
 * - any other text is literal: `user-{query.id}` is allowed.
 *
 * Lookups try the exact name first, then ignore case (the host's binding data is case-insensitive).
 * If any `{...}` part has no value (missing header, no such field, empty string), the whole expression
 * resolves to `undefined` rather than to a half-filled string: for `userId` that means "no user".
 */

export type ExpressionPart =
  | { kind: 'text'; text: string }
  | { kind: 'setting'; name: string }
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'data'; path: string[] };

export interface ParsedExpression {
  readonly source: string;
  readonly parts: readonly ExpressionPart[];
  /** True when some part depends on the request (so an unusable value is the caller's fault). */
  readonly usesRequest: boolean;
  /** True when some part may need the request body (so the body must be read). */
  readonly usesBody: boolean;
}

export class ExpressionSyntaxError extends Error {
  constructor(source: string, problem: string) {
    super(`binding expression '${source}': ${problem}`);
    this.name = 'ExpressionSyntaxError';
  }
}

/** Parses a binding expression once, at declaration time, so syntax errors surface when the app loads. */
export function parseExpression(source: string): ParsedExpression {
  const parts: ExpressionPart[] = [];
  let text = '';
  let i = 0;
  const flushText = (): void => {
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === '{' || ch === '%') {
      const close = ch === '{' ? '}' : '%';
      const end = source.indexOf(close, i + 1);
      if (end < 0) throw new ExpressionSyntaxError(source, `'${ch}' at position ${i} is never closed with '${close}'`);
      const inner = source.slice(i + 1, end).trim();
      if (inner === '') throw new ExpressionSyntaxError(source, `empty '${ch}${close}' at position ${i}`);
      flushText();
      parts.push(ch === '%' ? { kind: 'setting', name: inner } : parseReference(source, inner));
      i = end + 1;
    } else if (ch === '}') {
      throw new ExpressionSyntaxError(source, `unmatched '}' at position ${i}`);
    } else {
      text += ch;
      i += 1;
    }
  }
  flushText();
  return {
    source,
    parts,
    usesRequest: parts.some((p) => p.kind === 'header' || p.kind === 'query' || p.kind === 'data'),
    usesBody: parts.some((p) => p.kind === 'data'),
  };
}

function parseReference(source: string, inner: string): ExpressionPart {
  const dot = inner.indexOf('.');
  const head = (dot < 0 ? inner : inner.slice(0, dot)).toLowerCase();
  const rest = dot < 0 ? '' : inner.slice(dot + 1);
  if (head === 'headers' || head === 'query') {
    if (rest === '') throw new ExpressionSyntaxError(source, `'{${inner}}' needs a name after '${head}.'`);
    return { kind: head === 'headers' ? 'header' : 'query', name: rest };
  }
  const path = inner.split('.');
  if (path.some((segment) => segment === '')) throw new ExpressionSyntaxError(source, `'{${inner}}' has an empty path segment`);
  return { kind: 'data', path };
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** What an expression is resolved against: the trigger request, and the app settings. */
export interface ResolutionSource {
  readonly request: HttpRequest;
  readonly env: Environment;
  /** The request body parsed as JSON, read once per invocation (see `RequestBodyCache`). */
  readonly body: () => Promise<unknown>;
}

export class MissingAppSettingError extends Error {
  readonly setting: string;
  constructor(setting: string, expression: string) {
    super(`app setting '${setting}' used in binding expression '${expression}' is not set`);
    this.name = 'MissingAppSettingError';
    this.setting = setting;
  }
}

/** Resolves a parsed expression; `undefined` when any request-dependent part has no value. */
export async function resolveExpression(expression: ParsedExpression, source: ResolutionSource): Promise<string | undefined> {
  let result = '';
  for (const part of expression.parts) {
    let value: string | undefined;
    switch (part.kind) {
      case 'text':
        value = part.text;
        break;
      case 'setting':
        value = source.env[part.name];
        if (value === undefined) throw new MissingAppSettingError(part.name, expression.source);
        break;
      case 'header':
        value = source.request.headers.get(part.name) ?? undefined;
        break;
      case 'query':
        value = lookupIgnoringCase(source.request.query, part.name);
        break;
      case 'data':
        value = await resolveData(part.path, source);
        break;
    }
    if (part.kind !== 'text' && (value === undefined || value === '')) {
      if (part.kind === 'setting') continue; // an app setting may legitimately be empty
      return undefined;
    }
    result += value;
  }
  return result;
}

function lookupIgnoringCase(params: URLSearchParams, name: string): string | undefined {
  const exact = params.get(name);
  if (exact !== null) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of params) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** Route parameters win over body fields, as in the host (route data is applied last there). */
async function resolveData(path: readonly string[], source: ResolutionSource): Promise<string | undefined> {
  if (path.length === 1) {
    const param = fieldIgnoringCase(source.request.params, path[0]);
    if (typeof param === 'string' && param !== '') return param;
  }
  let current: unknown = await source.body();
  for (const segment of path) {
    if (!isPlainObject(current)) return undefined;
    current = fieldIgnoringCase(current, segment);
  }
  return stringifyValue(current);
}

function stringifyValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Reads the body of a request at most once, from a clone, so the handler can still read the original.
 * A body that is not a JSON object yields `undefined` (body fields then simply have no value).
 */
export function bodyReaderFor(request: HttpRequest): () => Promise<unknown> {
  let pending: Promise<unknown> | undefined;
  return () => {
    pending ??= readJsonQuietly(request);
    return pending;
  };
}

async function readJsonQuietly(request: HttpRequest): Promise<unknown> {
  try {
    const text = await request.clone().text();
    if (text.trim() === '') return undefined;
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
