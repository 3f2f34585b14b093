/**
 * The dependency rule of the README's architecture section, enforced: every relative import in src/ and
 * functions/ must go from a layer to one the rule puts to its right, no files may import each other in a
 * cycle, and the emulator is reached only through its public entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backEdges, fileCycles, parseLayerRule, readImports, type ImportEdge } from '../support/importGraph';

const ROOT = path.resolve(__dirname, '..', '..');

function readmeRule(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /\*\*Dependency rule\*\*[\s\S]*?`([^`]*→[^`]*)`/.exec(readme);
  if (!match) throw new Error('README.md has no **Dependency rule** line with the rule in backticks');
  return match[1]!;
}

const rule = parseLayerRule(readmeRule());
const edges = readImports(ROOT, ['src', 'functions']);

describe('the project', () => {
  it('has imports to check (the reader finds them)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'functions/negotiate.ts', to: 'src/app/appSettings.ts' });
  });

  it('follows the README dependency rule: no import goes against it', () => {
    expect(backEdges(edges, rule)).toEqual([]);
  });

  it('names every layer that holds code in the rule', () => {
    const folders = fs.readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && edges.some((edge) => edge.from.startsWith(`src/${entry.name}/`)))
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !rule.layers.has(folder))).toEqual([]);
    expect(fs.readdirSync(path.join(ROOT, 'src')).filter((name) => name.endsWith('.ts'))).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(fileCycles(edges)).toEqual([]);
  });

  it('reaches the emulator only through its public entry', () => {
    const inward = edges.filter((edge) => edge.to.startsWith('src/emulator/') && !edge.from.startsWith('src/emulator/'));
    expect(inward.length).toBeGreaterThan(0);
    expect(inward.filter((edge) => edge.to !== 'src/emulator/index.ts')).toEqual([]);
  });
});

describe('the checker', () => {
  const sample = parseLayerRule('top → middle → bottom; side → bottom');
  const edge = (from: string, to: string): ImportEdge => ({ from, to });

  it('allows imports down the chain, skipping layers, and within a layer', () => {
    expect(backEdges([
      edge('src/top/a.ts', 'src/middle/b.ts'),
      edge('src/top/a.ts', 'src/bottom/c.ts'),
      edge('src/side/d.ts', 'src/bottom/c.ts'),
      edge('src/middle/b.ts', 'src/middle/e.ts'),
    ], sample)).toEqual([]);
  });

  it('reports a back edge, a sideways edge and an unknown layer', () => {
    expect(backEdges([
      edge('src/bottom/c.ts', 'src/top/a.ts'),
      edge('src/side/d.ts', 'src/middle/b.ts'),
      edge('src/elsewhere/x.ts', 'src/bottom/c.ts'),
    ], sample)).toEqual([
      "src/bottom/c.ts imports src/top/a.ts: 'bottom' may not depend on 'top'",
      "src/side/d.ts imports src/middle/b.ts: 'side' may not depend on 'middle'",
      "src/elsewhere/x.ts: layer 'elsewhere' is not in the rule",
    ]);
  });

  it('reports a cycle between files, also inside one layer', () => {
    expect(fileCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts')])).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(fileCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts')])).toEqual([]);
  });

  it('finds the back edge this very project would have if the contract imported the client', () => {
    const withBackEdge = [...edges, edge('src/contract/limits.ts', 'src/client/service.ts')];
    expect(backEdges(withBackEdge, rule)).toEqual(["src/contract/limits.ts imports src/client/service.ts: 'contract' may not depend on 'client'"]);
  });
});
