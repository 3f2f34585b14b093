/**
 * The benchmark framework: a scenario sets up its servers once, then the runner calls every "side"
 * (ours, the baseline, and any extra layers) once per round, alternating the order each round so
 * that drift (JIT warm-up, GC pressure, thermal throttling) hits every side equally. Each table row
 * compares one metric of two sides: median over the rounds, ratio = ours / baseline.
 */

/** What one side produced in one round: named figures, e.g. {rate: 12345} or {p50: 1.2, p99: 3.4}. */
export type Metrics = Record<string, number>;

export interface RunContext {
  quick: boolean;
  /** Rounds per group (1 in quick mode). */
  rounds: number;
  /** True when --rounds was given: it then wins over a group's own default. */
  roundsFromCommandLine: boolean;
  /** Extra node flags for the server child processes, e.g. `--cpu-prof`. */
  childExecArgv: string[];
  log(message: string): void;
}

export interface Target {
  /** Shown in the table, e.g. "ratio >= 0.7". */
  text: string;
  met(ours: number, baseline: number, ratio: number): boolean;
}

export interface RowSpec {
  label: string;
  metric: string;
  /** Unit shown after the numbers, e.g. "req/s", "ms", "KB/conn". */
  unit: string;
  ours: string;
  baseline: string;
  target?: Target;
}

export type SideRunner = () => Promise<Metrics>;

/** A set of sides measured in the same rounds, and the rows drawn from them. */
export interface Group {
  name: string;
  sides: Record<string, SideRunner>;
  rows: RowSpec[];
  /** Runs every side once before the rounds (JIT, connection pools, caches); not recorded. */
  warmup?: boolean;
  /** Upper bound for one side's round, in ms; a side that takes longer fails that round. */
  roundTimeoutMs: number;
  /** Rounds for this group when not in quick mode (default: the run's rounds). */
  rounds?: number;
}

export interface ScenarioSession {
  groups: Group[];
  close(): Promise<void>;
}

export interface Scenario {
  name: string;
  description: string;
  open(ctx: RunContext): Promise<ScenarioSession>;
}

export interface RowResult {
  scenario: string;
  group: string;
  label: string;
  unit: string;
  ours: number | null;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  oursSide: string;
  baselineSide: string;
  oursRounds: number[];
  baselineRounds: number[];
  /** Every figure each side reported, per round (e.g. CPU per request, event-loop delay). */
  oursMetrics: Metrics[];
  baselineMetrics: Metrics[];
  errors: string[];
}

export const ratioAtLeast = (minimum: number): Target => ({
  text: `ratio >= ${minimum}`,
  met: (_o, _b, ratio) => ratio >= minimum,
});

export const ratioAtMost = (maximum: number): Target => ({
  text: `ratio <= ${maximum}`,
  met: (_o, _b, ratio) => ratio <= maximum,
});

export const oursAtMost = (maximum: number, unit: string): Target => ({
  text: `ours <= ${formatNumber(maximum)} ${unit}`,
  met: (ours) => ours <= maximum,
});

export const oursAtLeast = (minimum: number, unit: string): Target => ({
  text: `ours >= ${formatNumber(minimum)} ${unit}`,
  met: (ours) => ours >= minimum,
});

export const deltaAtMost = (maximum: number, unit: string): Target => ({
  text: `ours - baseline <= +${formatNumber(maximum)} ${unit}`,
  met: (ours, baseline) => ours - baseline <= maximum,
});

export const allOf = (...targets: Target[]): Target => ({
  text: targets.map((t) => t.text).join(' and '),
  met: (o, b, r) => targets.every((t) => t.met(o, b, r)),
});

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a group: optional warm-up, then `rounds` rounds in which every side runs once; odd rounds
 * run the sides in reverse order. A failing side is recorded and the other sides still run.
 */
export async function runGroup(scenario: string, group: Group, ctx: RunContext): Promise<RowResult[]> {
  const sideNames = Object.keys(group.sides);
  const perSide = new Map<string, Metrics[]>(sideNames.map((n) => [n, []]));
  const errors = new Map<string, string[]>(sideNames.map((n) => [n, []]));

  const runSide = async (name: string, record: boolean): Promise<void> => {
    try {
      const metrics = await withTimeout(group.sides[name](), group.roundTimeoutMs, `${scenario}/${group.name}/${name}`);
      if (record) perSide.get(name)?.push(metrics);
      ctx.log(`  ${record ? 'round' : 'warmup'} ${group.name}/${name}: ${describeMetrics(metrics)}`);
    } catch (error) {
      errors.get(name)?.push(errorText(error));
      ctx.log(`  ${group.name}/${name} failed: ${errorText(error)}`);
    }
  };

  if (group.warmup) for (const name of sideNames) await runSide(name, false);
  const rounds = ctx.quick || ctx.roundsFromCommandLine ? ctx.rounds : (group.rounds ?? ctx.rounds);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sideNames : [...sideNames].reverse();
    for (const name of order) await runSide(name, true);
  }

  return group.rows.map((row) => {
    const oursRounds = (perSide.get(row.ours) ?? []).map((m) => m[row.metric]).filter(Number.isFinite);
    const baselineRounds = (perSide.get(row.baseline) ?? []).map((m) => m[row.metric]).filter(Number.isFinite);
    const ours = oursRounds.length > 0 ? median(oursRounds) : null;
    const baseline = baselineRounds.length > 0 ? median(baselineRounds) : null;
    const ratio = ours !== null && baseline !== null && baseline !== 0 ? ours / baseline : null;
    const met =
      row.target && ours !== null && baseline !== null ? row.target.met(ours, baseline, ratio ?? Number.NaN) : null;
    return {
      scenario,
      group: group.name,
      label: row.label,
      unit: row.unit,
      ours,
      baseline,
      ratio,
      target: row.target?.text ?? null,
      met,
      oursSide: row.ours,
      baselineSide: row.baseline,
      oursRounds,
      baselineRounds,
      oursMetrics: perSide.get(row.ours) ?? [],
      baselineMetrics: perSide.get(row.baseline) ?? [],
      errors: [...(errors.get(row.ours) ?? []), ...(errors.get(row.baseline) ?? [])],
    };
  });
}

function describeMetrics(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${formatNumber(v)}`)
    .join(' ');
}

/** The one table the run prints: scenario | ours | baseline | ratio | target | met?. */
export function renderTable(rows: readonly RowResult[]): string {
  const header = ['scenario', 'ours', 'baseline', 'ratio', 'target', 'met?'];
  const cell = (value: number | null, unit: string): string => (value === null ? 'n/a' : `${formatNumber(value)} ${unit}`);
  const body = rows.map((r) => [
    r.label,
    cell(r.ours, r.unit),
    cell(r.baseline, r.unit),
    r.ratio === null ? 'n/a' : r.ratio.toFixed(2),
    r.target ?? '(info)',
    r.met === null ? (r.target ? 'n/a' : '-') : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
