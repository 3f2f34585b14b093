/**
 * Upstream settings in the official emulator's `settings.json` form:
 *
 * ```json
 * { "UpstreamSettings": { "Templates": [
 *   { "UrlTemplate": "http://localhost:7071/api/signalr/upstream", "HubPattern": "*", "CategoryPattern": "*", "EventPattern": "*" }
 * ] } }
 * ```
 *
 * Keys are read ignoring case (as .NET configuration does). A pattern is `*`, a comma-separated list, or one
 * name; matching ignores case, because the service treats hub names case-insensitively and the SignalR trigger
 * dispatches case-insensitively. The URL template may use `{hub}`, `{category}` and `{event}`.
 */
import { fieldIgnoringCase, isPlainObject } from '../../contract';

export interface UpstreamTemplate {
  readonly urlTemplate: string;
  readonly hubPattern: string;
  readonly categoryPattern: string;
  readonly eventPattern: string;
}

export interface UpstreamSettings {
  readonly templates: readonly UpstreamTemplate[];
}

/** A settings file or flag the emulator cannot use; the message names where and what. */
export class UpstreamSettingsError extends Error {
  override name = 'UpstreamSettingsError';
}

const PLACEHOLDER = /\{(hub|category|event)\}/gi;

/** The URL for one call: each placeholder replaced by its percent-encoded value. */
export function expandUrlTemplate(urlTemplate: string, values: { hub: string; category: string; event: string }): string {
  return urlTemplate.replace(PLACEHOLDER, (_match, name: string) => encodeURIComponent(values[name.toLowerCase() as keyof typeof values]));
}

/** Checks a URL template by expanding it with sample values: it must give an absolute http(s) URL. */
export function checkUrlTemplate(urlTemplate: unknown, where: string): string {
  if (typeof urlTemplate !== 'string' || urlTemplate.trim() === '') throw new UpstreamSettingsError(`${where}: UrlTemplate is required (an http or https URL)`);
  let url: URL;
  try {
    url = new URL(expandUrlTemplate(urlTemplate.trim(), { hub: 'hub', category: 'messages', event: 'event' }));
  } catch {
    throw new UpstreamSettingsError(`${where}: UrlTemplate '${urlTemplate}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UpstreamSettingsError(`${where}: UrlTemplate '${urlTemplate}' must use http or https`);
  return urlTemplate.trim();
}

function pattern(item: Record<string, unknown>, key: string, where: string): string {
  const value = fieldIgnoringCase(item, key);
  if (value === undefined || value === null) return '*';
  if (typeof value !== 'string' || value.trim() === '') throw new UpstreamSettingsError(`${where}: ${key} must be '*', a name, or a comma-separated list of names`);
  return value.trim();
}

/** A template matching every hub, category and event. */
export function catchAllTemplate(urlTemplate: string): UpstreamTemplate {
  return { urlTemplate: checkUrlTemplate(urlTemplate, '--upstream'), hubPattern: '*', categoryPattern: '*', eventPattern: '*' };
}

/** Reads the parsed JSON of a settings file; `source` names the file in errors. No `UpstreamSettings` means no templates. */
export function parseUpstreamSettings(json: unknown, source: string): UpstreamSettings {
  if (!isPlainObject(json)) throw new UpstreamSettingsError(`${source}: the settings must be a JSON object`);
  const section = fieldIgnoringCase(json, 'UpstreamSettings');
  if (section === undefined || section === null) return { templates: [] };
  if (!isPlainObject(section)) throw new UpstreamSettingsError(`${source}: UpstreamSettings must be an object with a Templates array`);
  const list = fieldIgnoringCase(section, 'Templates') ?? [];
  if (!Array.isArray(list)) throw new UpstreamSettingsError(`${source}: UpstreamSettings.Templates must be an array`);
  const templates = list.map((item: unknown, index): UpstreamTemplate => {
    const where = `${source}: UpstreamSettings.Templates[${index}]`;
    if (!isPlainObject(item)) throw new UpstreamSettingsError(`${where} must be an object`);
    return {
      urlTemplate: checkUrlTemplate(fieldIgnoringCase(item, 'UrlTemplate'), where),
      hubPattern: pattern(item, 'HubPattern', where),
      categoryPattern: pattern(item, 'CategoryPattern', where),
      eventPattern: pattern(item, 'EventPattern', where),
    };
  });
  return { templates };
}

/** The starter file `upstream init` writes: every event of every hub to the local function app's upstream endpoint. */
export function starterSettings(urlTemplate: string): unknown {
  return { UpstreamSettings: { Templates: [{ UrlTemplate: urlTemplate, EventPattern: '*', HubPattern: '*', CategoryPattern: '*' }] } };
}

function matches(patternText: string, value: string): boolean {
  if (patternText === '*') return true;
  const wanted = value.toLowerCase();
  return patternText.split(',').some((entry) => {
    const name = entry.trim().toLowerCase();
    return name === '*' || name === wanted;
  });
}

/** The first template matching the call, as the service picks it, or undefined. */
export function matchTemplate(templates: readonly UpstreamTemplate[], hub: string, category: string, event: string): UpstreamTemplate | undefined {
  return templates.find((t) => matches(t.hubPattern, hub) && matches(t.categoryPattern, category) && matches(t.eventPattern, event));
}
