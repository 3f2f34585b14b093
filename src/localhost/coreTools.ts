/**
 * Azure Functions Core Tools detection: `func` from node_modules/.bin (the optional dependency) or PATH,
 * usable only if `func --version` succeeds (the npm package installs a stub even when its download failed).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface CoreTools {
  command: string;
  version: string;
}

function candidates(projectRoot: string, env: NodeJS.ProcessEnv): string[] {
  const executable = process.platform === 'win32' ? 'func.cmd' : 'func';
  const found = [path.join(projectRoot, 'node_modules', '.bin', executable)];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir) found.push(path.join(dir, executable));
  }
  return found.filter((file) => fs.existsSync(file));
}

export function findCoreTools(projectRoot: string, env: NodeJS.ProcessEnv = process.env): CoreTools | undefined {
  for (const command of candidates(projectRoot, env)) {
    const result = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 20000, env, shell: process.platform === 'win32' });
    if (result.status === 0 && /\d+\.\d+/.test(result.stdout)) return { command, version: result.stdout.trim() };
  }
  return undefined;
}
