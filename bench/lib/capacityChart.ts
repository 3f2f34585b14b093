/**
 * The capacity curves as a chart: one panel per pipeline and message size, p50 and p99 latency against the
 * offered rate for ours and the baseline, how quickly refused calls were answered (where a side refused any),
 * the 1 s SLA as a rule, each side's knee marked, and what each side did
 * at twice its knee written under the plot.
 */
import { writeFileSync } from 'node:fs';
import type { CapacityCurve, CapacityStep } from '../scenarios/capacity';
import { renderChart, type Panel, type Series } from './svgChart';

const COLORS = { ours: '#1f6fd1', baseline: '#e07b00' } as const;
/** Refused calls: how long a caller waited to hear "later" (the other curve of graceful overload). */
const REFUSED_COLORS = { ours: '#2a9d3a', baseline: '#b03a2e' } as const;
const SIDE_NAMES = { ours: 'ours', baseline: 'plain node:http + ws' } as const;
/** Under the plot a line has half a panel's width: the legend above says what "plain" is. */
const SHORT_SIDE_NAMES = { ours: 'ours', baseline: 'plain' } as const;

/** One line under the plot, short enough for half the chart's width; all times in ms. */
function overloadNote(curve: CapacityCurve): string {
  const step: CapacityStep | undefined = curve.overload;
  const name = SHORT_SIDE_NAMES[curve.side];
  if (step === undefined) return `${name}: no step held, so no overload step`;
  const refused = step.refused === 0 ? '0 refused' : `${Math.round((step.refused / step.sent) * 100)}% refused ≤${Math.round(step.refusedP99)}`;
  const p99 = Number.isFinite(step.p99) ? `p99 ${Math.round(step.p99)}` : 'none delivered';
  const answered = Number.isFinite(step.answerP99) ? `, call ≤${Math.round(step.answerP99)}` : '';
  // A failed call (a reset, a 5xx) was not accepted, so it is not a lost message: counted apart.
  const failed = step.failed === 0 ? '' : `, ${step.failed} failed`;
  return `○ ${name} @${step.rate}/s (2x knee, ms): ${p99}${answered}, ${refused}, ${step.lost} lost${failed}`;
}

/** What a chart is drawn from: a run report's curves, date and machine. */
export interface CapacityChartSource {
  startedAt: string;
  quick: boolean;
  machine: Readonly<Record<string, string | number | undefined>>;
  capacityCurves?: readonly CapacityCurve[];
}

/** Draws the report's capacity curves into `file` (subtitle: the run's date and machine); false when it has none. */
export function writeCapacityChart(file: string, report: CapacityChartSource): boolean {
  if (report.capacityCurves === undefined || report.capacityCurves.length === 0) return false;
  const m = report.machine;
  const subtitle = `${report.startedAt.slice(0, 10)}, ${String(m.cpus)} vCPU ${String(m.cpuModel)}, Node ${String(m.node)}${report.quick ? ', --quick (not a measurement)' : ''}`;
  writeFileSync(file, capacityChartSvg(report.capacityCurves, subtitle));
  return true;
}

export function capacityChartSvg(curves: readonly CapacityCurve[], subtitle: string): string {
  const panels: Panel[] = [];
  const keys = [...new Set(curves.map((c) => `${c.pipeline}|${c.size}`))];
  for (const key of keys) {
    const sides = curves.filter((c) => `${c.pipeline}|${c.size}` === key);
    const first = sides[0]!;
    const series: Series[] = [];
    for (const curve of sides) {
      const steps = curve.steps;
      series.push({ name: `${SIDE_NAMES[curve.side]} p99`, color: COLORS[curve.side], width: 2.5, dashed: curve.side === 'baseline', points: steps.map((s) => [s.rate, s.p99]) });
      series.push({ name: `${SIDE_NAMES[curve.side]} p50`, color: COLORS[curve.side], width: 1, dashed: curve.side === 'baseline', points: steps.map((s) => [s.rate, s.p50]) });
      const refusals = steps.filter((s) => s.refused > 0).map((s): [number, number] => [s.rate, s.refusedP99]);
      if (refusals.length > 0) series.push({ name: `${SHORT_SIDE_NAMES[curve.side]}: refusals, p99`, color: REFUSED_COLORS[curve.side], width: 1.5, dashed: true, points: refusals });
    }
    panels.push({
      title: first.pipeline === 'sendMessage' ? `sendMessage → 1 client, ${first.size}` : `REST broadcast → ${first.clients.toLocaleString('en-US')} clients, ${first.size}`,
      xLabel: `offered rate (${first.unit}, log)`,
      yLabel: 'latency (ms, log)',
      series,
      rules: [{ y: 1000, label: 'p99 SLA 1 s' }],
      markers: sides.filter((c) => c.knee > 0).map((c) => ({ x: c.knee, label: `${SIDE_NAMES[c.side]} knee ${c.knee}/s`, color: COLORS[c.side] })),
      // The step at twice the knee is measured apart from the sweep (it may repeat a swept rate): rings, not line.
      rings: sides.flatMap((c) => (c.overload === undefined ? [] : [{ x: c.overload.rate, y: c.overload.p99, color: COLORS[c.side] }])),
      notes: sides.map(overloadNote),
    });
  }
  return renderChart(panels, { title: 'Capacity: latency against offered rate (npm run bench)', subtitle, columns: 2 });
}
