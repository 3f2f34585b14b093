/**
 * Route constraints of ASP.NET Core routing (`{id:int}`, `{name:length(3,20)}`, `{x:regex(^a$)}`), as the
 * Functions host applies them to `route` templates: each constraint becomes a predicate over the segment's text.
 */
import { RouteTemplateError } from './routeTemplateError';

export type Constraint = (value: string) => boolean;

/** Reads one constraint ("int", "range(1,10)", "regex(^a:b$)") up to the next top-level ":", "=" or "?". */
export function readConstraint(text: string): { text: string; remaining: string } {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (depth === 0 && (char === ':' || char === '=' || (char === '?' && i === text.length - 1))) {
      return { text: text.slice(0, i), remaining: text.slice(i) };
    }
  }
  return { text, remaining: '' };
}

const guidPatterns = [
  /^[0-9a-f]{32}$/i,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i,
  /^\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)$/i,
];

const integerPattern = /^[+-]?\d+$/;
const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function integerWithin(min: bigint, max: bigint): Constraint {
  return (value) => integerPattern.test(value) && BigInt(value) >= min && BigInt(value) <= max;
}

export function createConstraint(text: string, template: string): Constraint {
  const found = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  if (!found) throw new RouteTemplateError(`Route "${template}": cannot parse constraint "${text}".`);
  const name = found[1].toLowerCase();
  const argument = found[2];
  const numbers = (): number[] => {
    const values = (argument ?? '').split(',').map((item) => Number(item.trim()));
    if (argument === undefined || values.some((item) => !Number.isFinite(item))) {
      throw new RouteTemplateError(`Route "${template}": constraint "${text}" needs numeric arguments.`);
    }
    return values;
  };
  switch (name) {
    case 'int':
      return integerWithin(-(2n ** 31n), 2n ** 31n - 1n);
    case 'long':
      return integerWithin(-(2n ** 63n), 2n ** 63n - 1n);
    case 'bool':
      return (value) => /^(true|false)$/i.test(value);
    case 'alpha':
      return (value) => /^[a-z]+$/i.test(value);
    case 'guid':
      return (value) => guidPatterns.some((pattern) => pattern.test(value));
    case 'decimal':
    case 'double':
    case 'float':
      return (value) => numberPattern.test(value);
    case 'datetime':
      return (value) => !Number.isNaN(Date.parse(value));
    case 'required':
      return (value) => value !== '';
    case 'minlength': {
      const [min] = numbers();
      return (value) => value.length >= min;
    }
    case 'maxlength': {
      const [max] = numbers();
      return (value) => value.length <= max;
    }
    case 'length': {
      const [a, b] = numbers();
      return b === undefined ? (value) => value.length === a : (value) => value.length >= a && value.length <= b;
    }
    case 'min': {
      const [min] = numbers();
      return (value) => integerPattern.test(value) && Number(value) >= min;
    }
    case 'max': {
      const [max] = numbers();
      return (value) => integerPattern.test(value) && Number(value) <= max;
    }
    case 'range': {
      const [min, max] = numbers();
      return (value) => integerPattern.test(value) && Number(value) >= min && Number(value) <= max;
    }
    case 'regex': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(argument ?? '', 'i'); // ASP.NET uses IgnoreCase | CultureInvariant
      } catch {
        throw new RouteTemplateError(`Route "${template}": invalid regular expression in "${text}".`);
      }
      return (value) => pattern.test(value);
    }
    default:
      throw new RouteTemplateError(`Route "${template}": the constraint "${text}" is not known.`);
  }
}
