/**
 * How the browser tests find their Chromium: CHROMIUM_PATH, else a system install on PATH, else the one
 * shipped in the @sparticuz/chromium devDependency. Each case sets the environment it describes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findChromium } from './browser';

const saved = { CHROMIUM_PATH: process.env.CHROMIUM_PATH, PATH: process.env.PATH };
let scratch: string;

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'browser-discovery-'));
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

function fakeExecutable(name: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
  return file;
}

test('CHROMIUM_PATH wins over a system install', async () => {
  const configured = fakeExecutable('my-chrome');
  fakeExecutable('chromium');
  process.env.CHROMIUM_PATH = configured;
  process.env.PATH = scratch;
  expect(await findChromium()).toMatchObject({ executablePath: configured, source: 'CHROMIUM_PATH' });
});

test('a CHROMIUM_PATH with nothing there is an error naming it, not a silent fallback', async () => {
  process.env.CHROMIUM_PATH = path.join(scratch, 'missing-chrome');
  await expect(findChromium()).rejects.toThrow(`CHROMIUM_PATH is set to ${path.join(scratch, 'missing-chrome')}`);
});

test('without CHROMIUM_PATH, a Chromium on PATH is used', async () => {
  delete process.env.CHROMIUM_PATH;
  const installed = fakeExecutable('chromium-browser');
  process.env.PATH = scratch;
  expect(await findChromium()).toMatchObject({ executablePath: installed, source: 'system' });
});

const linuxX64 = process.platform === 'linux' && process.arch === 'x64' ? test : test.skip;

linuxX64('with neither, the Chromium of @sparticuz/chromium is unpacked and runs, with our flags', async () => {
  delete process.env.CHROMIUM_PATH;
  process.env.PATH = scratch;
  const found = await findChromium();
  expect(found.source).toBe('@sparticuz/chromium');
  expect(execFileSync(found.executablePath, ['--version'], { encoding: 'utf8' })).toMatch(/^Chromium \d+\./);
  expect(found.args).toEqual(expect.arrayContaining(['--disable-background-networking', '--disable-component-update', '--disable-quic']));
  expect(found.args.filter((flag) => /^--(single-process|disable-web-security|headless)/.test(flag))).toEqual([]);
});
