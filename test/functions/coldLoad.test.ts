/**
 * What loading the function app costs every cold start of an instance, before its first request: the app's entry
 * files, loaded in a fresh process as the Functions worker loads them, must not load jsonwebtoken (and the semver it
 * loads, together about a quarter of the app's load time); the first token loads it (src/client/auth/jsonwebtoken.ts).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.join(__dirname, '..', '..');
const tsRegister = path.join(repoRoot, 'test', 'fixtures', 'localhost', 'tsRegister.js');

const script = `
const loaded = () => Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/](jsonwebtoken|semver)[\\\\/]/.test(file)).length;
const app = require('./src/localhost/appLoader.ts').loadApp(process.cwd(), 'functions/*.ts');
const atLoad = loaded();
const { TokenIssuer } = require('./src/client/auth/tokens.ts');
const token = new TokenIssuer('a-key-of-the-test').restToken('http://127.0.0.1/api/hubs/chat/:send');
process.stdout.write(JSON.stringify({ functions: app.registrations.functions.length, atLoad, afterToken: loaded(), parts: token.split('.').length }));
`;

test('loading the app registers its functions without loading jsonwebtoken; the first token loads it', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', tsRegister, '-e', script], { cwd: repoRoot });
  const result = JSON.parse(stdout) as { functions: number; atLoad: number; afterToken: number; parts: number };
  expect(result.functions).toBeGreaterThan(3);
  expect(result.atLoad).toBe(0);
  expect(result.afterToken).toBeGreaterThan(0);
  expect(result.parts).toBe(3);
}, 60_000);
