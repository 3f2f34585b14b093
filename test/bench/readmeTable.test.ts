/** The README's Performance block comes from a bench report: every row, each missed target said so. */
import { renderReadmeBlock } from '../../bench/readmeTable';
import type { RowResult } from '../../bench/framework';

function row(label: string, ours: number, baseline: number, target: string | null, met: boolean | null): RowResult {
  return {
    scenario: 's',
    group: 'g',
    label,
    unit: 'req/s',
    ours,
    baseline,
    ratio: ours / baseline,
    target,
    met,
    oursSide: 'ours',
    baselineSide: 'baseline',
    oursRounds: [ours],
    baselineRounds: [baseline],
    oursMetrics: [],
    baselineMetrics: [],
    errors: [],
  };
}

const machine = { cpus: 2, cpuModel: 'Test CPU', totalMemGB: 8, node: 'v20.0.0', platform: 'linux 6' };

test('every row becomes a line; a missed target is marked, a met one and an information row are not', () => {
  const block = renderReadmeBlock({
    startedAt: '2026-12-01T10:00:00.000Z',
    durationSeconds: 480,
    quick: false,
    rounds: 5,
    machine,
    rows: [row('fast | path', 900, 1000, 'ratio >= 0.9', true), row('slow path', 500, 1000, 'ratio >= 0.9', false), row('info', 1, 2, null, null)],
    failures: [],
  });
  const lines = block.split('\n');
  expect(lines[0]).toContain('2026-12-01: 2 vCPU Test CPU');
  expect(lines[0]).toContain('8 minutes');
  expect(lines.filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'))).toEqual([
    '| fast \\| path | 900 req/s | 1,000 req/s | 0.90 | ratio >= 0.9: met |',
    '| slow path | 500 req/s | 1,000 req/s | 0.50 | ratio >= 0.9: **missed** |',
    '| info | 1 req/s | 2 req/s | 0.50 | (info) |',
  ]);
});

test('refuses a --quick report: its figures are not measurements', () => {
  expect(() => renderReadmeBlock({ startedAt: '2026-12-01T10:00:00.000Z', durationSeconds: 40, quick: true, rounds: 1, machine, rows: [], failures: [] })).toThrow(/quick/);
});
