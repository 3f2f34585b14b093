/**
 * A Chromium for the browser tests, driven by playwright-core (playwright's own browser download needs the
 * internet). Found by itself, in this order:
 *   1. CHROMIUM_PATH, when set (an error if nothing is there: a path given on purpose is not skipped);
 *   2. a Chromium or Chrome installed on the system;
 *   3. the Chromium shipped inside the @sparticuz/chromium devDependency (Linux x64), so a fresh clone
 *      needs no system package.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

export interface FoundChromium {
  executablePath: string;
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  args: string[];
}

/**
 * Flags every Chromium gets. Without the background-networking ones Chromium keeps opening connections to
 * Google's hosts, which a closed network refuses many at a time.
 */
const TEST_FLAGS = [
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Chromium's sandbox cannot start as root; as any other user it stays on. */
function sandboxFlags(): string[] {
  return process.getuid?.() === 0 ? ['--no-sandbox'] : [];
}

const SYSTEM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const SYSTEM_APP_PATHS: Partial<Record<NodeJS.Platform, string[]>> = {
  darwin: ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
  win32: [
    path.join(process.env.PROGRAMFILES ?? 'C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe'),
    path.join(process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)', 'Google', 'Chrome', 'Application', 'chrome.exe'),
  ],
};

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function systemChromium(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  const candidates = [...SYSTEM_COMMANDS.flatMap((name) => onPath.map((dir) => path.join(dir, name))), ...(SYSTEM_APP_PATHS[process.platform] ?? [])];
  return candidates.find(isExecutable);
}

interface BundledPackage {
  executablePath(): Promise<string>;
  readonly args: string[];
}

/**
 * The package's recommended flags, less: the ones that would hide what the tests check (web security: the
 * chat page's cross-origin calls to the emulator must pass real CORS checks); --single-process, which it
 * needs only inside AWS Lambda and with which closing one browser context takes the whole browser down;
 * and its headless flag (playwright sets headless mode itself).
 */
function bundledFlags(recommended: readonly string[]): string[] {
  const dropped = /^--(headless|single-process|disable-web-security|allow-running-insecure-content)(=|$)/;
  return recommended.filter((flag) => !dropped.test(flag));
}

/**
 * Unpacks the package's Chromium once per package version, into a folder of the temp dir. The package
 * itself unpacks into the temp dir's root and trusts whatever it finds there; two jest workers (or two
 * checkouts with other versions) unpacking at once would share and corrupt one file. So each unpack runs in
 * a child process with a private TMPDIR, and the finished folder is renamed into place, which is atomic:
 * the first to finish wins and the others use its copy.
 */
async function bundledChromium(): Promise<FoundChromium> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('No Chromium found: install Chromium or Google Chrome, or set CHROMIUM_PATH (the bundled @sparticuz/chromium is for Linux x64 only).');
  }
  const entry = require.resolve('@sparticuz/chromium');
  const packageRoot = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const target = path.join(os.tmpdir(), `sparticuz-chromium-${version}-${process.getuid?.() ?? 'user'}`);
  const executablePath = path.join(target, 'chromium');
  if (!isExecutable(executablePath)) {
    const staging = fs.mkdtempSync(`${target}.unpacking-`);
    try {
      const unpack = `require(${JSON.stringify(entry)}).executablePath().then((p) => process.stdout.write(p))`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', unpack], { env: { ...process.env, TMPDIR: staging } });
      if (stdout !== path.join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, expected ${staging}`);
      fs.renameSync(staging, target);
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      // Another worker renamed its copy into place first: use that one.
      if (!isExecutable(executablePath)) throw error;
    }
  }
  const bundled = require(entry) as BundledPackage;
  return { executablePath, source: '@sparticuz/chromium', args: bundledFlags(bundled.args) };
}

export async function findChromium(): Promise<FoundChromium> {
  const flags = [...sandboxFlags(), ...TEST_FLAGS];
  const configured = process.env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') {
    if (!isExecutable(configured)) throw new Error(`CHROMIUM_PATH is set to ${configured}, which is not an executable file.`);
    return { executablePath: configured, source: 'CHROMIUM_PATH', args: flags };
  }
  const installed = systemChromium();
  if (installed) return { executablePath: installed, source: 'system', args: flags };
  const bundled = await bundledChromium();
  return { ...bundled, args: [...new Set([...bundled.args, ...flags])] };
}

export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  return chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args });
}
