/**
 * Writes the README's Performance figures from one bench run, so that every figure there comes from the same
 * run and none is copied by hand:
 *
 *   node dist/bench/readmeTable.js [bench/results/latest.json] [--write]
 *
 * Prints the block (machine, date, duration, one table with every row, each missed target marked); with
 * --write it replaces what README.md holds between `<!-- bench:begin -->` and `<!-- bench:end -->`, and redraws
 * bench/capacity.svg from the same report, so the table and the chart the README shows come from one run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatNumber, type RowResult } from './framework';
import { writeCapacityChart } from './lib/capacityChart';
import type { CapacityCurve } from './scenarios/capacity';

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

interface Report {
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  rounds: number;
  machine: Record<string, string | number>;
  rows: RowResult[];
  capacityCurves?: CapacityCurve[];
  failures: Array<{ scenario: string; error: string }>;
}

function cell(value: number | null, unit: string): string {
  return value === null ? 'n/a' : `${formatNumber(value)} ${unit}`;
}

function verdict(row: RowResult): string {
  if (row.target === null) return '(info)';
  if (row.met === null) return `${row.target}: **no figure**`;
  return row.met ? `${row.target}: met` : `${row.target}: **missed**`;
}

export function renderReadmeBlock(report: Report): string {
  if (report.quick) throw new Error('this is a --quick run: its figures are not measurements');
  const m = report.machine;
  const lines = [
    `One run of \`npm run bench\` on ${report.startedAt.slice(0, 10)}: ${m.cpus} vCPU ${m.cpuModel}, ${m.totalMemGB} GB, Node ${m.node}, ${m.platform}; ` +
      `${Math.round(report.durationSeconds / 6) / 10} minutes. Ratio = ours / baseline, median over each group's rounds.`,
    '',
    '| scenario | ours | baseline | ratio | target |',
    '|---|---|---|---|---|',
    ...report.rows.map((r) => `| ${r.label.replace(/\|/g, '\\|')} | ${cell(r.ours, r.unit)} | ${cell(r.baseline, r.unit)} | ${r.ratio === null ? 'n/a' : r.ratio.toFixed(2)} | ${verdict(r)} |`),
  ];
  for (const failure of report.failures) lines.push('', `Scenario ${failure.scenario} failed in this run: ${failure.error}`);
  return lines.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const write = args.includes('--write');
  const input = args.find((a) => a !== '--write') ?? path.join(__dirname, '..', '..', 'bench', 'results', 'latest.json');
  const report = JSON.parse(readFileSync(input, 'utf8')) as Report;
  const block = renderReadmeBlock(report);
  if (!write) {
    process.stdout.write(`${block}\n`);
    return;
  }
  const readmePath = path.join(__dirname, '..', '..', 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} ... ${END} block`);
  writeFileSync(readmePath, `${readme.slice(0, begin + BEGIN.length)}\n${block}\n${readme.slice(end)}`);
  process.stdout.write(`README.md: Performance figures from ${input}\n`);
  if (writeCapacityChart(path.join(path.dirname(readmePath), 'bench', 'capacity.svg'), report)) {
    process.stdout.write(`bench/capacity.svg: capacity curves from ${input}\n`);
  }
}

if (require.main === module) main();
