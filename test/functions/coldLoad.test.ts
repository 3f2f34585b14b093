/**
 * What loading the function app costs every cold start of an instance, before its first request: the app's entry
 * files, loaded in a fresh process as the Functions worker loads them, must not load jsonwebtoken (with the semver it
 * loads, about a quarter of the app's load time); the first token loads it (src/client/auth/jsonwebtoken.ts).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.join(__dirname, '..', '..');
const tsRegister = path.join(repoRoot, 'test', 'fixtures', 'localhost', 'tsRegister.js');

const script = `
const loaded = () => Object.keys(require.cache).filter((file) => file.includes('/node_modules/jsonwebtoken/')).length;
const app = require('./src/localhost/appLoader.ts').loadApp(process.cwd(), 'functions/*.ts');
const atLoad = loaded();
const { TokenIssuer } = require('./src/client/auth/tokens.ts');
const token = new TokenIssuer('a-key-of-the-test').restToken('http://127.0.0.1/api/hubs/chat/:send');
process.stdout.write('RESULT ' + JSON.stringify({ functions: app.registrations.functions.length, atLoad, afterToken: loaded(), parts: token.split('.').length }) + '\\n');
`;

test('loading the app registers its functions without loading jsonwebtoken; the first token loads it', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', tsRegister, '-e', script], { cwd: repoRoot });
  // Only the marked line: anything the app prints while it loads is not the result.
  const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
  expect(line).toBeDefined();
  const result = JSON.parse(line!.slice('RESULT '.length)) as { functions: number; atLoad: number; afterToken: number; parts: number };
  expect(result.functions).toBeGreaterThan(3);
  expect(result.atLoad).toBe(0);
  expect(result.afterToken).toBeGreaterThan(0);
  expect(result.parts).toBe(3);
}, 60_000);
