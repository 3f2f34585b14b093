/**
 * Host log output: `[timestamp] source: message`, with warnings and errors on stderr.
 */
export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

const order: LogLevel[] = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

export function isLogLevel(value: string): value is LogLevel {
  return (order as string[]).includes(value);
}

/** True when a message at `level` passes a `minimum` level filter. */
export function passesLevel(level: LogLevel, minimum: LogLevel): boolean {
  if (level === 'none' || minimum === 'none') return false;
  return order.indexOf(level) >= order.indexOf(minimum);
}

/** Where formatted log lines go; tests pass their own to capture output. */
export type LogWriter = (level: LogLevel, line: string) => void;

export const consoleLogWriter: LogWriter = (level, line) => {
  if (level === 'warning' || level === 'error' || level === 'critical') console.error(line);
  else console.log(line);
};

export function formatLogLine(source: string, message: string, now: Date = new Date()): string {
  return `[${now.toISOString()}] ${source}: ${message}`;
}
