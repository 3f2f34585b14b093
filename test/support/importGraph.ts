/**
 * Reads the relative imports of the project's TypeScript files, and checks them against a layering rule written
 * as the README writes it: `a → b → c; d → c`. Used by test/architecture/layering.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the root, with `/` separators. */
  from: string;
  /** Imported file, resolved and relative to the root. */
  to: string;
}

const SPECIFIER = /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[^.\w])(?:import|require)\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function listTypeScript(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return listTypeScript(full);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every relative import of the .ts files under `folders` (relative to `root`), comments stripped first. */
export function readImports(root: string, folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');
  for (const file of folders.flatMap((folder) => listTypeScript(path.join(root, folder)))) {
    const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const match of source.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier === undefined) continue;
      const target = resolveImport(file, specifier);
      if (target === undefined) throw new Error(`${rel(file)} imports '${specifier}', which does not resolve to a file`);
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return edges;
}

/** The layer of a file: `functions`, or the folder right under `src/` (`src/emulator/rest/x.ts` is `emulator`). */
export function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'functions') return 'functions';
  if (parts[0] === 'src' && parts.length >= 3) return parts[1]!;
  return `(outside any layer: ${file})`;
}

/** Parses `a → b → c; d → c, e` into the set of allowed (importer, imported) layer pairs, closed transitively. */
export function parseLayerRule(rule: string): { layers: Set<string>; allowed: Set<string> } {
  const direct = new Map<string, Set<string>>();
  const layers = new Set<string>();
  for (const chain of rule.split(';')) {
    const steps = chain.split(/→|->/).map((step) => step.split(',').map((name) => name.trim()).filter((name) => name !== ''));
    for (const step of steps) for (const name of step) layers.add(name);
    for (let i = 0; i + 1 < steps.length; i++) {
      for (const upper of steps[i]!) {
        const targets = direct.get(upper) ?? new Set<string>();
        for (const lower of steps[i + 1]!) targets.add(lower);
        direct.set(upper, targets);
      }
    }
  }
  const allowed = new Set<string>();
  for (const start of layers) {
    const stack = [...(direct.get(start) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      allowed.add(`${start}→${next}`);
      stack.push(...(direct.get(next) ?? []));
    }
  }
  return { layers, allowed };
}

/** Imports that cross layers against the rule, or land in a layer the rule does not name. */
export function backEdges(edges: readonly ImportEdge[], rule: ReturnType<typeof parseLayerRule>): string[] {
  const problems: string[] = [];
  for (const edge of edges) {
    const from = layerOf(edge.from);
    const to = layerOf(edge.to);
    if (!rule.layers.has(from)) problems.push(`${edge.from}: layer '${from}' is not in the rule`);
    else if (from !== to && !rule.allowed.has(`${from}→${to}`)) problems.push(`${edge.from} imports ${edge.to}: '${from}' may not depend on '${to}'`);
  }
  return [...new Set(problems)];
}

/** Every import cycle between files, each as the list of files around it (Tarjan's strongly connected components). */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const { from, to } of edges) graph.set(from, [...(graph.get(from) ?? []), to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
