/**
 * Where the emulator's upstream templates come from: a settings file (reloaded when it changes) and a template
 * given on the command line (`--upstream <url-template>`, after the file's templates).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseUpstreamSettings, starterSettings, UpstreamSettingsError, type UpstreamTemplate } from './settings';

/** The official emulator's file name, looked for in the current directory. */
export const SETTINGS_FILE_NAME = 'settings.json';

/** The local function app's upstream endpoint, as `npm start` serves it. */
export const DEFAULT_UPSTREAM_URL = 'http://localhost:7071/api/signalr/upstream';

/** How often the settings file is checked for changes (stat polling survives editors that replace the file). */
const WATCH_INTERVAL_MS = 500;

export interface UpstreamSettingsSourceOptions {
  /** A settings file to read and watch. */
  file?: string;
  /** Templates from the command line or the caller, tried after the file's. */
  extraTemplates?: readonly UpstreamTemplate[];
  log?: (line: string) => void;
  /** How often the file is checked for changes; default 500 ms. */
  watchIntervalMs?: number;
}

export class UpstreamSettingsSource {
  private fileTemplates: readonly UpstreamTemplate[] = [];
  private readonly extraTemplates: readonly UpstreamTemplate[];
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  /** What the file looked like when last read, to notice an edit. */
  private lastSeen = '';

  constructor(private readonly options: UpstreamSettingsSourceOptions) {
    this.extraTemplates = options.extraTemplates ?? [];
    this.log = options.log ?? ((): void => undefined);
    if (options.file !== undefined) {
      this.lastSeen = fileVersion(options.file);
      this.fileTemplates = readSettingsFile(options.file);
    }
  }

  /** The templates in the order they are tried. */
  templates(): readonly UpstreamTemplate[] {
    return this.fileTemplates.length === 0 ? this.extraTemplates : [...this.fileTemplates, ...this.extraTemplates];
  }

  /**
   * Reloads the file whenever it changes; a file that no longer reads keeps the last good templates and says why.
   * Polls the file's stat against the one last read (not stat against stat), so an edit made right after start
   * is never missed, and editors that replace the file are noticed too.
   */
  watch(): void {
    const file = this.options.file;
    if (file === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      const version = fileVersion(file);
      if (version === this.lastSeen) return;
      this.lastSeen = version;
      try {
        this.fileTemplates = version === 'missing' ? [] : readSettingsFile(file);
        this.log(`upstream settings reloaded from ${file}: ${describeTemplates(this.templates())}`);
      } catch (error) {
        this.log(`upstream settings in ${file} were not reloaded (the previous ones stay): ${error instanceof Error ? error.message : String(error)}`);
      }
    }, this.options.watchIntervalMs ?? WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The file's identity and size and modification time, or 'missing'. */
function fileVersion(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export function readSettingsFile(file: string): readonly UpstreamTemplate[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UpstreamSettingsError(`${file}: cannot be read${code === undefined ? '' : ` (${code})`}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UpstreamSettingsError(`${file}: is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseUpstreamSettings(json, file).templates;
}

/** One line per template, for the start banner and reload messages. */
export function describeTemplates(templates: readonly UpstreamTemplate[]): string {
  if (templates.length === 0) return 'no upstream templates';
  return templates.map((t, i) => `[${i}] ${t.urlTemplate} (hub: ${t.hubPattern}, category: ${t.categoryPattern}, event: ${t.eventPattern})`).join('; ');
}

/**
 * `upstream init`: writes the starter settings file into `directory`. Refuses to overwrite an existing file unless
 * `force`, so a user's settings are never lost. Returns the path written.
 */
export function writeStarterSettings(directory: string, force: boolean, urlTemplate: string = DEFAULT_UPSTREAM_URL): string {
  const file = path.resolve(directory, SETTINGS_FILE_NAME);
  if (fs.existsSync(file) && !force) throw new UpstreamSettingsError(`${file} already exists; pass --force to overwrite it`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(starterSettings(urlTemplate), null, 2)}\n`);
  return file;
}
