/**
 * Runs the README's start command path (`node dist/src/localhost/start.js`, what `npm start` runs after its
 * build) as a child process on free ports, and tells where the chat page is. The emulator is started by
 * start.js itself because AzureSignalRConnectionString points at a local port where nothing listens yet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as fs from 'node:fs';

export const projectRoot = path.resolve(__dirname, '..', '..');
const startScript = path.join(projectRoot, 'dist', 'src', 'localhost', 'start.js');
export const EMULATOR_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

export interface RunningApp {
  pageUrl: string;
  emulatorPort: number;
  output(): string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startApp(extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningApp> {
  if (!fs.existsSync(startScript)) throw new Error(`${startScript} is missing: run "npm run build" first (npm test does).`);
  const emulatorPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, [startScript, '--port', '0', '--no-func'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      AzureSignalRConnectionString: `Endpoint=http://localhost;Port=${emulatorPort};AccessKey=${EMULATOR_KEY};Version=1.0;`,
      SignalRAllowClientUserId: 'true',
      SignalRHubName: 'chat',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const pageUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not print its URL in time:\n${output}`)), 20000);
    const check = (): void => {
      const match = /Open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with code ${code} before it was ready:\n${output}`));
    });
  });

  return {
    pageUrl,
    emulatorPort,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
