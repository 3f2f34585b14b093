/**
 * How deeply message arguments may nest. The service's JSON stacks (System.Text.Json, Json.NET) stop at 64
 * levels, and the emulator refuses send bodies deeper than that (the body object itself is the first level),
 * so the arguments array gets the other 63. Checked before sending, so the caller gets a 400 naming the
 * field instead of the service's refusal turning into a 502, and a batch is refused whole.
 */
export const MAX_ARGUMENTS_DEPTH = 63;

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
