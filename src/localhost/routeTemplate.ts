/**
 * ASP.NET Core route templates, as the Functions host uses them for HTTP triggers:
 * literal segments (matched case-insensitively), `{param}`, optional `{param?}`, defaults `{param=value}`,
 * catch-all `{*rest}` / `{**rest}`, inline constraints `{id:int}`, `{name:alpha:minlength(2)}`, and complex
 * segments such as `{name}.{ext}`.
 */

import { createConstraint, readConstraint, type Constraint } from './routeConstraints';
import { RouteTemplateError } from './routeTemplateError';

export { RouteTemplateError };

interface ParameterPart {
  kind: 'parameter';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
  constraintNames: string[];
}

interface LiteralPart {
  kind: 'literal';
  text: string;
}

type Part = ParameterPart | LiteralPart;

interface Segment {
  parts: Part[];
}

export interface RouteMatch {
  params: Record<string, string>;
}

export class RouteTemplate {
  readonly template: string;
  readonly segments: Segment[];
  /** ASP.NET's inbound precedence: lower sorts first (literal 1, complex 2, constrained 3, plain 4, catch-all 5). */
  readonly precedence: number[];

  constructor(template: string) {
    this.template = template;
    const trimmed = template.replace(/^~?\//, '').replace(/\/$/, '');
    this.segments = trimmed === '' ? [] : trimmed.split('/').map((segment) => parseSegment(segment, template));
    this.validate();
    this.precedence = this.segments.map(segmentPrecedence);
  }

  private validate(): void {
    const names = new Set<string>();
    this.segments.forEach((segment, index) => {
      if (segment.parts.length === 0) throw new RouteTemplateError(`Route "${this.template}": empty segment ("//") is not allowed.`);
      for (const part of segment.parts) {
        if (part.kind !== 'parameter') continue;
        const key = part.name.toLowerCase();
        if (names.has(key)) throw new RouteTemplateError(`Route "${this.template}": parameter "${part.name}" appears twice.`);
        names.add(key);
        if (part.catchAll && index !== this.segments.length - 1) {
          throw new RouteTemplateError(`Route "${this.template}": a catch-all parameter must be the last segment.`);
        }
        if (segment.parts.length > 1 && part.catchAll) {
          throw new RouteTemplateError(`Route "${this.template}": a catch-all parameter cannot share a segment with other text.`);
        }
      }
    });
    // Optional parameters (or parameters with defaults) may only be followed by more optional segments.
    let sawOptional = false;
    for (const segment of this.segments) {
      const optional = isOptionalSegment(segment);
      if (sawOptional && !optional) {
        throw new RouteTemplateError(`Route "${this.template}": an optional parameter must be at the end of the route.`);
      }
      sawOptional ||= optional;
    }
  }

  /** Matches a decoded-per-segment path (without the route prefix); returns route values or undefined. */
  match(pathSegments: string[]): RouteMatch | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
      if (only?.kind === 'parameter' && only.catchAll) {
        // A catch-all is optional by nature: an empty rest gives its default or no value at all.
        const rest = pathSegments.slice(i).join('/');
        if (rest !== '') {
          if (!assign(params, only, rest)) return undefined;
        } else if (only.defaultValue !== undefined) {
          params[only.name] = only.defaultValue;
        }
        return { params };
      }
      const value = pathSegments[i];
      if (value === undefined || value === '') {
        if (!isOptionalSegment(segment)) return undefined;
        for (const part of segment.parts) {
          if (part.kind === 'parameter' && part.defaultValue !== undefined) params[part.name] = part.defaultValue;
        }
        continue;
      }
      if (!matchSegment(segment, value, params)) return undefined;
    }
    if (pathSegments.length > this.segments.length) return undefined;
    return { params };
  }
}

function assign(params: Record<string, string>, part: ParameterPart, value: string): boolean {
  if (!part.constraints.every((constraint) => constraint(value))) return false;
  params[part.name] = value;
  return true;
}

function matchSegment(segment: Segment, value: string, params: Record<string, string>): boolean {
  const [first] = segment.parts;
  if (segment.parts.length === 1) {
    if (first.kind === 'literal') return first.text.toLowerCase() === value.toLowerCase();
    return assign(params, first, value);
  }
  // Complex segment: literals are anchors; each parameter takes at least one character. ASP.NET matches
  // right to left, which for "{name}.{ext}" on "a.b.c" gives name "a.b": greedy groups do the same.
  const regex = new RegExp(
    '^' + segment.parts.map((part) => (part.kind === 'literal' ? escapeRegExp(part.text) : '(.+)')).join('') + '$',
    'i',
  );
  const found = regex.exec(value);
  if (!found) return false;
  let group = 1;
  for (const part of segment.parts) {
    if (part.kind === 'parameter' && !assign(params, part, found[group++])) return false;
  }
  return true;
}

function isOptionalSegment(segment: Segment): boolean {
  const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
  return only?.kind === 'parameter' && (only.optional || only.catchAll || only.defaultValue !== undefined);
}

function segmentPrecedence(segment: Segment): number {
  if (segment.parts.length > 1) return 2;
  const [part] = segment.parts;
  if (part.kind === 'literal') return 1;
  if (part.catchAll) return 5;
  return part.constraints.length > 0 ? 3 : 4;
}

/** Orders routes the way ASP.NET does: by precedence segment by segment, then more segments first. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const left = a.precedence[i];
    const right = b.precedence[i];
    if (left === undefined) return 1;
    if (right === undefined) return -1;
    if (left !== right) return left - right;
  }
  return 0;
}

function parseSegment(text: string, template: string): Segment {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (char === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (char === '{') {
      const end = findParameterEnd(text, i + 1);
      if (end < 0) throw new RouteTemplateError(`Route "${template}": unclosed "{" in segment "${text}".`);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push(parseParameter(text.slice(i + 1, end), template));
      i = end + 1;
    } else if (char === '}') {
      throw new RouteTemplateError(`Route "${template}": unmatched "}" in segment "${text}".`);
    } else {
      literal += char;
      i++;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  for (let p = 1; p < parts.length; p++) {
    if (parts[p].kind === 'parameter' && parts[p - 1].kind === 'parameter') {
      throw new RouteTemplateError(`Route "${template}": parameters in "${text}" must be separated by literal text.`);
    }
  }
  return { parts };
}

/** The closing "}" of a parameter, skipping "}}" escapes and anything inside constraint parentheses. */
function findParameterEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth++;
    else if (char === ')' && depth > 0) depth--;
    else if (char === '}' && depth === 0) {
      if (text[i + 1] === '}') {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function parseParameter(body: string, template: string): ParameterPart {
  let rest = body.replace(/\}\}/g, '}').replace(/\{\{/g, '{');
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  const nameMatch = /^[^:=?]+/.exec(rest);
  if (!nameMatch) throw new RouteTemplateError(`Route "${template}": parameter "{${body}}" has no name.`);
  const name = nameMatch[0].trim();
  rest = rest.slice(nameMatch[0].length);

  const constraints: Constraint[] = [];
  const constraintNames: string[] = [];
  while (rest.startsWith(':')) {
    const { text, remaining } = readConstraint(rest.slice(1));
    constraintNames.push(text);
    constraints.push(createConstraint(text, template));
    rest = remaining;
  }
  let defaultValue: string | undefined;
  let optional = false;
  if (rest.endsWith('?')) {
    optional = true;
    rest = rest.slice(0, -1);
  }
  if (rest.startsWith('=')) {
    defaultValue = rest.slice(1);
    rest = '';
  }
  if (rest !== '') throw new RouteTemplateError(`Route "${template}": cannot parse parameter "{${body}}".`);
  if (optional && defaultValue !== undefined) {
    throw new RouteTemplateError(`Route "${template}": parameter "${name}" cannot be both optional and have a default.`);
  }
  if (catchAll && optional) {
    throw new RouteTemplateError(`Route "${template}": a catch-all parameter cannot be marked optional.`);
  }
  return { kind: 'parameter', name, optional, catchAll, defaultValue, constraints, constraintNames };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits a raw URL path into percent-decoded segments. Decoding per segment keeps an encoded "/" (%2F)
 * inside its segment, as ASP.NET does.
 */
export function splitPath(rawPath: string): string[] {
  const trimmed = rawPath.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
}
