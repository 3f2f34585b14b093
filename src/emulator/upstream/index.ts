/**
 * The emulator's upstream, assembled from its options: where templates come from (settings file, flag), who
 * makes the calls, and how it is stopped.
 */
import { catchAllTemplate, type UpstreamTemplate } from './settings';
import { describeTemplates, UpstreamSettingsSource } from './settingsSource';
import { UpstreamDispatcher } from './upstreamDispatcher';

export interface UpstreamOptions {
  /** A settings file in the official emulator's `settings.json` form, reloaded when it changes. */
  settingsFile?: string;
  /** URL templates matching every hub, category and event (`--upstream`), tried after the file's templates. */
  urlTemplates?: readonly string[];
  /** Further templates, tried last. */
  templates?: readonly UpstreamTemplate[];
  /** Time budget of one upstream call; default 30 s. */
  timeoutMs?: number;
  /** Log every call and its outcome (failures are always logged). */
  verbose?: boolean;
  /** Where upstream lines go; default stderr. */
  log?: (line: string) => void;
}

/**
 * WHY 30 s (the official emulator waits 100 s): a connection's calls are made in order, so a hung call holds up
 * every later invocation of that client; 30 s is longer than any interactive hub method should take.
 */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export interface Upstream {
  readonly dispatcher: UpstreamDispatcher;
  /** The templates in use, one line, for banners. */
  describe(): string;
  /** Waits up to `graceMs` for calls under way (the `disconnected` of a shutdown), then stops watching and calling. */
  close(graceMs: number): Promise<void>;
}

export function createUpstream(options: UpstreamOptions, accessKeys: readonly string[]): Upstream {
  const log = options.log ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`upstream timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  const source = new UpstreamSettingsSource({
    ...(options.settingsFile === undefined ? {} : { file: options.settingsFile }),
    extraTemplates: [...(options.urlTemplates ?? []).map((url) => catchAllTemplate(url)), ...(options.templates ?? [])],
    log,
  });
  source.watch();
  const dispatcher = new UpstreamDispatcher({ settings: source, accessKeys, timeoutMs, verbose: options.verbose === true, log });
  return {
    dispatcher,
    describe: () => describeTemplates(source.templates()),
    async close(graceMs) {
      await dispatcher.drain(graceMs);
      source.close();
      dispatcher.close();
    },
  };
}

export { UpstreamSettingsError } from './settings';
export type { UpstreamTemplate } from './settings';
export { DEFAULT_UPSTREAM_URL, SETTINGS_FILE_NAME, writeStarterSettings, readSettingsFile, describeTemplates } from './settingsSource';
