/**
 * The audiences (`aud`) a token for a request may carry, in a canonical form so that equivalent URLs compare
 * equal: lower-case scheme and host, default ports dropped, path segments decoded and re-encoded uniformly,
 * trailing slashes dropped, query pairs re-encoded in their original order. URLs are parsed by the built-in
 * `URL`, which does the scheme, host, port and IPv6 handling.
 */

/** Percent-encodes like .NET's Uri.EscapeDataString (RFC 3986 unreserved characters stay as they are). */
function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Percent-encodes a path segment, leaving the characters RFC 3986 allows there (`:`, `@`, sub-delims) as they are. */
function escapePathSegment(value: string): string {
  return escapeDataString(value).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

function canonicalPath(rawPath: string): string {
  const segments = rawPath.split('/').map((s) => escapePathSegment(safeDecode(s)));
  let path = segments.join('/');
  if (!path.startsWith('/')) path = `/${path}`;
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

type QueryPairs = ReadonlyArray<readonly [string, string]>;

function parseQuery(rawQuery: string): Array<[string, string]> {
  return [...new URLSearchParams(rawQuery)];
}

function formatQuery(pairs: QueryPairs): string {
  return pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${escapeDataString(k)}=${escapeDataString(v)}`).join('&')}`;
}

/** The canonical form of an audience URL; undefined for something that is not an absolute http(s) URL. */
export function canonicalAudience(audience: string): string | undefined {
  let url: URL;
  try {
    url = new URL(audience);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.protocol}//${url.host}${canonicalPath(url.pathname)}${formatQuery(parseQuery(url.search))}`;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Host names under which a signer may have addressed us: the Host header's name, and for a loopback name all
 * loopback aliases (a connection string says `localhost` while a client may dial 127.0.0.1).
 */
function hostVariants(hostHeader: string | undefined): { hosts: string[]; port: string } {
  let url: URL | undefined;
  try {
    url = hostHeader === undefined || hostHeader.trim() === '' ? undefined : new URL(`http://${hostHeader.trim()}`);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.pathname !== '/' || url.username !== '') return { hosts: [...LOOPBACK_NAMES], port: '' };
  const hosts = LOOPBACK_NAMES.includes(url.hostname) ? [...LOOPBACK_NAMES] : [url.hostname];
  return { hosts, port: url.port };
}

function originVariants(hostHeader: string | undefined): string[] {
  const { hosts, port } = hostVariants(hostHeader);
  const origins: string[] = [];
  for (const scheme of ['http', 'https']) {
    for (const host of hosts) {
      origins.push(`${scheme}://${host}`);
      if (port !== '') origins.push(`${scheme}://${host}:${port}`);
    }
  }
  return origins;
}

/** Query parameters the official SDK puts into a REST token's `aud` (others, like `excluded`, it leaves out). */
const AUDIENCE_QUERY_KEYS = new Set(['api-version', 'application']);

function uniqueQueries(candidates: QueryPairs[]): string[] {
  return [...new Set(candidates.map((pairs) => formatQuery(pairs)))];
}

/**
 * Every canonical audience a REST token for this request may carry.
 * @param requestUrl the request target as received (`req.url`: path plus query, percent-encoded)
 * @param hostHeader the Host header (`localhost:8888`, `127.0.0.1:53211`, ...)
 */
export function acceptedRestAudiences(requestUrl: string, hostHeader: string | undefined): string[] {
  const q = requestUrl.indexOf('?');
  const rawPath = q < 0 ? requestUrl : requestUrl.slice(0, q);
  const query = parseQuery(q < 0 ? '' : requestUrl.slice(q + 1));
  const path = canonicalPath(rawPath);

  const sdkKeys = query.filter(([k]) => AUDIENCE_QUERY_KEYS.has(k));
  const application = query.filter(([k]) => k === 'application');
  const apiVersion = query.filter(([k]) => k === 'api-version');
  const queries = uniqueQueries([
    [], // docs: the URL without query string
    query, // the full request URL
    sdkKeys, // SDK: application/api-version as they appear in the request
    [...application, ...apiVersion], // SDK's own order
    apiVersion,
  ]);

  const audiences: string[] = [];
  for (const origin of originVariants(hostHeader)) {
    for (const queryString of queries) audiences.push(`${origin}${path}${queryString}`);
  }
  return audiences;
}

/**
 * Every canonical audience a client token for `/client/?hub=<hub>` may carry (`aud` = the client URL, which the
 * SDK builds from the Endpoint without the port). `hub` is the hub query value as the client sent it; the
 * lower-cased form is accepted too because SDKs lower-case hub names.
 */
export function acceptedClientAudiences(hostHeader: string | undefined, hub: string): string[] {
  const hubs = [...new Set([hub, hub.toLowerCase()])];
  const audiences: string[] = [];
  for (const origin of originVariants(hostHeader)) {
    for (const h of hubs) {
      const query = formatQuery([['hub', h]]);
      audiences.push(`${origin}/client${query}`);
      // Not canonical, but what the SDKs sign (`…/client/?hub=`): listed so it matches at once, without
      // canonicalising the token's audience on every connect.
      audiences.push(`${origin}/client/${query}`);
    }
  }
  return audiences;
}
