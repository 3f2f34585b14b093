/**
 * Small helpers shared by the reliability suites (not a test file: jest only runs *.test.ts).
 */
import { signHs256, clientClaims } from '../support/jwtForge';
import type { ClientCredentials } from '../support/loadClients';

/** Client credentials for `userId` on `hub` of an emulator at `baseUrl`, signed with `accessKey`. */
export function credentialsFor(baseUrl: string, accessKey: string, hub: string, userId?: string): ClientCredentials {
  return { url: `${baseUrl}/client/?hub=${hub}`, accessToken: signHs256(clientClaims(baseUrl, hub, userId), accessKey) };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; rejects on the first failure. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && failed === undefined) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== undefined) throw failed;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
