/**
 * Scenario 7, cold start: wall time (spawn to exit, measured here) and peak RSS of a fresh `node`
 * process that loads the function app's entry files and registers every function (through the local
 * host's loader, which supplies `@azure/functions-core` like the Functions worker does), vs
 * `node -e ""`. Both processes carry the same one-line exit hook that reports peak RSS.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { deltaAtMost, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const APP_LOADER = path.join(PROJECT_ROOT, 'dist', 'src', 'localhost', 'appLoader.js');

/**
 * Writes {rss (KB), functions} to stderr when the process exits. The peak is the kernel's high-water mark of this
 * process's own memory (VmHWM): on Linux, resourceUsage().maxRSS also counts the memory of the process that
 * spawned it (it survives the exec), so with a bench process of 100+ MB both sides reported the bench's size.
 */
const exitReport = (functions: string): string =>
  `process.on('exit',()=>{let rss=process.resourceUsage().maxRSS;try{rss=Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])}catch{}` +
  `process.stderr.write(JSON.stringify({rss,functions:${functions}}))});`;

export const BASELINE_CODE = exitReport('0');
export const OURS_CODE =
  `const loaded=require(${JSON.stringify(APP_LOADER)}).loadApp(${JSON.stringify(PROJECT_ROOT)});` +
  exitReport('loaded.registrations.functions.length');

export function runNodeOnce(code: string): Promise<Metrics> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'pipe'], cwd: PROJECT_ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      const wallMs = performance.now() - started;
      const match = /\{"rss":(\d+),"functions":(\d+)\}\s*$/.exec(stderr);
      if (status !== 0 || !match) {
        reject(new Error(`node exited ${status}: ${stderr.slice(-500)}`));
        return;
      }
      resolve({ wallMs, rssMB: Number(match[1]) / 1024, functions: Number(match[2]) });
    });
  });
}

export const coldStartScenario: Scenario = {
  name: 'coldstart',
  description: 'process start to exit: load the app entry and register every function vs node -e ""',
  async open(_ctx: RunContext): Promise<ScenarioSession> {
    return {
      groups: [
        {
          name: 'coldstart',
          warmup: true, // fills the OS file cache so the first round is not an outlier
          rounds: 10,
          roundTimeoutMs: 20000,
          sides: {
            ours: async () => {
              const metrics = await runNodeOnce(OURS_CODE);
              if (metrics.functions < 1) throw new Error('the app registered no functions');
              return metrics;
            },
            baseline: () => runNodeOnce(BASELINE_CODE),
          },
          rows: [
            { label: 'cold start: wall time', metric: 'wallMs', unit: 'ms', ours: 'ours', baseline: 'baseline', target: deltaAtMost(150, 'ms') },
            { label: 'cold start: peak RSS', metric: 'rssMB', unit: 'MB', ours: 'ours', baseline: 'baseline' },
          ],
        },
      ],
      close: async () => undefined,
    };
  },
};
