/**
 * Runs every benchmark scenario in --quick mode (tiny sizes, one round) as `npm run bench` would, in a
 * child process on the compiled code, and checks that each produced numbers for both sides. No
 * thresholds: performance is judged by `npm run bench`, never by the test suite.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const RUNNER = path.join(ROOT, 'dist', 'bench', 'run.js');
const SCENARIO_NAMES = ['negotiate', 'tokens', 'rest', 'fanout', 'latency', 'upstream', 'capacity', 'connections', 'coldstart', 'endpoints'];

interface Row {
  scenario: string;
  label: string;
  unit: string;
  ours: number | null;
  baseline: number | null;
  ratio: number | null;
  errors: string[];
}

interface Report {
  quick: boolean;
  rows: Row[];
  failures: Array<{ scenario: string; error: string }>;
  capacityCurves: Array<{ steps: Array<{ refused: number }> }>;
}

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; when this file runs alone, rebuild dist/ if the sources are newer. */
function ensureBuilt(): void {
  const sourceTime = Math.max(...['bench', 'src', 'functions'].map((d) => newestSourceTime(path.join(ROOT, d))));
  if (existsSync(RUNNER) && statSync(RUNNER).mtimeMs >= sourceTime) return;
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere still emit JavaScript; the run below shows whether it works.
  }
}

function runQuick(out: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench --quick', () => {
  let dir: string;
  let report: Report;
  let result: { code: number | null; stderr: string; stdout: string };

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'bench-quick-'));
    const out = path.join(dir, 'quick.json');
    result = await runQuick(out);
    report = JSON.parse(readFileSync(out, 'utf8')) as Report;
  }, 180000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every scenario without failures and exits 0', () => {
    expect(report.quick).toBe(true);
    expect(report.failures).toEqual([]);
    expect(new Set(report.rows.map((r) => r.scenario))).toEqual(new Set(SCENARIO_NAMES));
    expect(result.code).toBe(0);
  });

  it('gives every row finite numbers for ours and the baseline', () => {
    for (const row of report.rows) {
      const context = `${row.label}: ${row.errors.join('; ')}`;
      expect({ context, ours: Number.isFinite(row.ours), baseline: Number.isFinite(row.baseline) }).toEqual({ context, ours: true, baseline: true });
      // Lost-message and refused-call counts and refused shares are 0 when all is well; every other figure (rates, times, sizes) is positive.
      const lowest = row.unit === 'msgs' || row.unit === 'calls' || row.unit === 'share' ? 0 : Number.MIN_VALUE;
      expect(row.ours as number).toBeGreaterThanOrEqual(lowest);
      expect(row.baseline as number).toBeGreaterThanOrEqual(lowest);
    }
  });

  it('draws the capacity curves beside the JSON: p50 and p99 lines for both sides in every panel, and the refusals where a side refused', () => {
    const svg = readFileSync(path.join(dir, 'capacity.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const panels = svg.match(/<g transform="translate\(\d+ \d+\)">\n<text/g) ?? [];
    expect(panels.length).toBeGreaterThanOrEqual(2);
    const refusing = report.capacityCurves.filter((curve) => curve.steps.some((step) => step.refused > 0)).length;
    expect((svg.match(/<polyline /g) ?? []).length).toBe(panels.length * 4 + refusing);
    expect(svg.includes('ours: refusals, p99')).toBe(refusing > 0); // one legend entry for all panels
  });

  it('prints one table with a line per row', () => {
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\| scenario +\| ours +\| baseline +\| ratio +\| target +\| met\? \|$/);
    expect(lines).toHaveLength(report.rows.length + 2);
  });
});
