/** Fixed inputs shared by the scenarios. */

/** The local emulator's well-known key (the official emulator uses the same): never a real secret. */
export const BENCH_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

export function connectionStringFor(url: string, accessKey = BENCH_ACCESS_KEY): string {
  const parsed = new URL(url);
  return `Endpoint=${parsed.protocol}//${parsed.hostname};Port=${parsed.port};AccessKey=${accessKey};Version=1.0;`;
}

/** A typical chat message, about 100 bytes on the wire once framed. */
export const MESSAGE_TARGET = 'newMessage';
export function messageArguments(sequence: number): unknown[] {
  return [{ sender: 'bench', text: 'hello from the benchmark', sequence }];
}
