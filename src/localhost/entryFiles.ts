/**
 * Finds the app's entry files the way the Node.js worker does: package.json `main`, which may be a glob
 * (e.g. `dist/functions/*.js`), resolved relative to the project root.
 * Supported glob syntax: `*`, `?`, `**` (any number of directories) and `{a,b}` alternatives.
 */
import * as fs from 'fs';
import * as path from 'path';

export class EntryFilesError extends Error {
  override name = 'EntryFilesError';
}

export function readMainPattern(projectRoot: string): string {
  const packageFile = path.join(projectRoot, 'package.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(packageFile, 'utf8'));
  } catch (error) {
    throw new EntryFilesError(`Cannot read ${packageFile}: ${(error as Error).message}`);
  }
  const main = typeof parsed === 'object' && parsed !== null ? (parsed as { main?: unknown }).main : undefined;
  if (main === undefined) return 'index.js'; // Node's own default, which the worker also uses.
  if (typeof main !== 'string' || main.trim() === '') {
    throw new EntryFilesError(`${packageFile}: "main" must be a non-empty string (a file or a glob).`);
  }
  return main;
}

/** All files matching `pattern` (relative to projectRoot), sorted for a stable registration order. */
export function findEntryFiles(projectRoot: string, pattern: string): string[] {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!/[*?{]/.test(normalized)) {
    const file = path.resolve(projectRoot, normalized);
    if (!fs.existsSync(file)) {
      throw new EntryFilesError(`Entry file "${pattern}" (package.json "main") not found in ${projectRoot}. Did you run "npm run build"?`);
    }
    return [file];
  }
  const baseDir = path.resolve(projectRoot, staticPrefix(normalized));
  const matcher = globToRegExp(path.resolve(projectRoot, normalized).replace(/\\/g, '/'));
  const files = walk(baseDir).filter((file) => matcher.test(file.replace(/\\/g, '/'))).sort();
  if (files.length === 0) {
    throw new EntryFilesError(`No files match "${pattern}" (package.json "main") in ${projectRoot}. Did you run "npm run build"?`);
  }
  return files;
}

/** The directory part of the pattern before its first wildcard: where the walk starts. */
function staticPrefix(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const segment of segments) {
    if (/[*?{]/.test(segment)) break;
    fixed.push(segment);
  }
  return fixed.slice(0, Math.min(fixed.length, segments.length - 1)).join('/') || '.';
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue; // never entry files, and huge
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walk(full));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        const followedBySlash = glob[i + 2] === '/';
        source += followedBySlash ? '(?:[^/]*/)*' : '.*';
        i += followedBySlash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') source += '[^/]';
    else if (char === '{') {
      braceDepth++;
      source += '(?:';
    } else if (char === '}' && braceDepth > 0) {
      braceDepth--;
      source += ')';
    } else if (char === ',' && braceDepth > 0) source += '|';
    else source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
