/**
 * `npm run bench` entry: runs the scenarios, prints ONE table (stdout) and writes the same figures as
 * JSON (bench/results/latest.json unless --out). Progress goes to stderr.
 *
 *   node dist/bench/run.js [--quick] [--only a,b] [--rounds N] [--out file] [--cpu-prof]
 *
 * --quick: tiny sizes and one round, only to check every scenario produces numbers (used by the tests).
 * --cpu-prof: the server child processes write V8 CPU profiles to bench/results/profiles/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorText, renderTable, runGroup, type RowResult, type RunContext, type Scenario } from './framework';
import { writeCapacityChart } from './lib/capacityChart';
import { capacityCurves, capacityScenario } from './scenarios/capacity';
import { coldStartScenario } from './scenarios/coldStart';
import { endpointsScenario } from './scenarios/endpoints';
import { connectionsScenario } from './scenarios/connections';
import { fanoutScenario } from './scenarios/fanout';
import { latencyScenario } from './scenarios/latency';
import { negotiateScenario } from './scenarios/negotiate';
import { restSendsScenario } from './scenarios/restSends';
import { tokensScenario } from './scenarios/tokens';
import { upstreamScenario } from './scenarios/upstream';

export const SCENARIOS: Scenario[] = [
  negotiateScenario,
  tokensScenario,
  restSendsScenario,
  fanoutScenario,
  latencyScenario,
  upstreamScenario,
  capacityScenario,
  connectionsScenario,
  coldStartScenario,
  endpointsScenario,
];

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

interface Options {
  quick: boolean;
  only: string[] | null;
  rounds: number;
  roundsGiven: boolean;
  out: string;
  cpuProf: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    quick: false,
    only: null,
    rounds: 5,
    roundsGiven: false,
    out: path.join(PROJECT_ROOT, 'bench', 'results', 'latest.json'),
    cpuProf: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg === '--rounds') {
      options.rounds = Number(value());
      options.roundsGiven = true;
    }
    else if (arg === '--out') options.out = path.resolve(value());
    else if (arg === '--cpu-prof') options.cpuProf = true;
    else throw new Error(`unknown argument ${arg} (use --quick, --only a,b, --rounds N, --out file, --cpu-prof)`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds must be a positive whole number');
  if (options.quick) options.rounds = 1;
  const names = SCENARIOS.map((s) => s.name);
  for (const name of options.only ?? []) {
    if (!names.includes(name)) throw new Error(`unknown scenario '${name}'; known: ${names.join(', ')}`);
  }
  return options;
}

function machine(): Record<string, string | number> {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (message: string): void => {
    process.stderr.write(`${message}\n`);
  };
  const profileDir = path.join(PROJECT_ROOT, 'bench', 'results', 'profiles');
  if (options.cpuProf) mkdirSync(profileDir, { recursive: true });
  const ctx: RunContext = {
    quick: options.quick,
    rounds: options.rounds,
    roundsFromCommandLine: options.roundsGiven,
    childExecArgv: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    log,
  };

  const started = Date.now();
  const rows: RowResult[] = [];
  const failures: Array<{ scenario: string; error: string }> = [];
  for (const scenario of SCENARIOS) {
    if (options.only && !options.only.includes(scenario.name)) continue;
    const scenarioStarted = Date.now();
    log(`${scenario.name}: ${scenario.description}`);
    try {
      const session = await scenario.open(ctx);
      try {
        for (const group of session.groups) rows.push(...(await runGroup(scenario.name, group, ctx)));
      } finally {
        await session.close();
      }
    } catch (error) {
      failures.push({ scenario: scenario.name, error: errorText(error) });
      log(`${scenario.name} failed: ${errorText(error)}`);
    }
    log(`${scenario.name}: ${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s`);
  }

  const report = {
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    quick: options.quick,
    rounds: options.rounds,
    machine: machine(),
    rows,
    capacityCurves,
    failures,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  // A full run refreshes the chart the README shows; a quick one writes beside its JSON, leaving that alone.
  const chart = options.quick ? path.join(path.dirname(options.out), 'capacity.svg') : path.join(PROJECT_ROOT, 'bench', 'capacity.svg');
  if (writeCapacityChart(chart, report)) log(`capacity chart: ${path.relative(process.cwd(), chart)}`);

  process.stdout.write(`${renderTable(rows)}\n`);
  log(`${rows.length} rows in ${report.durationSeconds.toFixed(0)} s; JSON: ${path.relative(process.cwd(), options.out)}`);
  for (const failure of failures) log(`FAILED ${failure.scenario}: ${failure.error}`);
  const incomplete = rows.filter((r) => r.ours === null || r.baseline === null);
  if (failures.length > 0 || incomplete.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorText(error)}\n`);
  process.exitCode = 2;
});
