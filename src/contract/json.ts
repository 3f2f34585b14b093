/**
 * How the service reads JSON it is given: property names case-insensitively (the .NET SDKs send
 * `Target`/`Arguments`, JavaScript callers `target`/`arguments`) and nesting bounded by its JSON stacks.
 */

/** The value of `name` in `record`, matched ignoring case; an exact-case key wins over other spellings. */
export function fieldIgnoringCase(record: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

/** True when `value` nests deeper than `maxDepth` arrays/objects (the value itself counts as one level). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  // Iterative: a hostile body can be hundreds of thousands of levels deep, too deep for recursion.
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
