/**
 * Figures the reliability suites report (connections held, messages, faults, fuzz cases, attacks).
 * Each suite writes its own part to test-results/reliability/<suite>.json; after every write the parts
 * are summed into test-results/reliability-figures.json under a lock directory, so jest workers running
 * suites side by side cannot lose each other's parts. test-results/ is git-ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ReliabilityFigures {
  /** Most connections open at the same time in one test. */
  connectionsHeld: number;
  messagesSent: number;
  messagesReceived: number;
  messagesLost: number;
  messagesOutOfOrder: number;
  faultsInjected: number;
  faultsSurvived: number;
  fuzzCases: number;
  attacksTried: number;
  attacksRefused: number;
  secretChecks: number;
}

export const emptyFigures = (): ReliabilityFigures => ({
  connectionsHeld: 0,
  messagesSent: 0,
  messagesReceived: 0,
  messagesLost: 0,
  messagesOutOfOrder: 0,
  faultsInjected: 0,
  faultsSurvived: 0,
  fuzzCases: 0,
  attacksTried: 0,
  attacksRefused: 0,
  secretChecks: 0,
});

const resultsDir = path.resolve(__dirname, '..', '..', 'test-results');
const partsDir = path.join(resultsDir, 'reliability');

/** Accumulates one suite's figures; call `save()` in afterAll. */
export class FigureRecorder {
  readonly figures = emptyFigures();
  readonly details: Record<string, number | string> = {};

  constructor(private readonly suite: string) {}

  add(key: keyof ReliabilityFigures, n = 1): void {
    if (key === 'connectionsHeld') this.figures.connectionsHeld = Math.max(this.figures.connectionsHeld, n);
    else this.figures[key] += n;
  }

  detail(key: string, value: number | string): void {
    this.details[key] = typeof value === 'number' && typeof this.details[key] === 'number' ? (this.details[key] as number) + value : value;
  }

  save(): void {
    fs.mkdirSync(partsDir, { recursive: true });
    const part = { suite: this.suite, savedAt: new Date().toISOString(), figures: this.figures, details: this.details };
    fs.writeFileSync(path.join(partsDir, `${this.suite}.json`), JSON.stringify(part, null, 2));
    mergeParts();
  }
}

function withLock(fn: () => void): void {
  const lock = path.join(resultsDir, '.reliability.lock');
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function mergeParts(): void {
  withLock(() => {
    const total = emptyFigures();
    const suites: Record<string, unknown> = {};
    for (const name of fs.readdirSync(partsDir).filter((f) => f.endsWith('.json')).sort()) {
      const part = JSON.parse(fs.readFileSync(path.join(partsDir, name), 'utf8')) as { suite: string; figures: ReliabilityFigures };
      suites[part.suite] = part;
      for (const key of Object.keys(total) as (keyof ReliabilityFigures)[]) {
        if (key === 'connectionsHeld') total.connectionsHeld = Math.max(total.connectionsHeld, part.figures.connectionsHeld ?? 0);
        else total[key] += part.figures[key] ?? 0;
      }
    }
    const out = path.join(resultsDir, 'reliability-figures.json');
    fs.writeFileSync(`${out}.tmp`, JSON.stringify({ total, suites }, null, 2));
    fs.renameSync(`${out}.tmp`, out);
  });
}
