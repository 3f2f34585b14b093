import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { errorResponse } from '../src/bindings/httpErrors';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Serves the chat page and its assets from a function, so the page works the same under our local host,
 * `func start` and on Azure. The @microsoft/signalr browser bundle comes from the installed package, not a CDN.
 */

interface Asset {
  file: () => string;
  contentType: string;
}

const pageDirectory = findPageDirectory(__dirname);

const assets: Record<string, Asset> = {
  'index.html': { file: () => path.join(pageDirectory, 'index.html'), contentType: 'text/html; charset=utf-8' },
  'app.js': { file: () => path.join(pageDirectory, 'app.js'), contentType: 'text/javascript; charset=utf-8' },
  'style.css': { file: () => path.join(pageDirectory, 'style.css'), contentType: 'text/css; charset=utf-8' },
  'signalr.min.js': {
    file: () => require.resolve('@microsoft/signalr/dist/browser/signalr.min.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
};

const cache = new Map<string, Buffer>();

/** The page lives in src/chat/page; this file runs from functions/ (tests) or dist/functions/ (compiled). */
function findPageDirectory(start: string): string {
  for (let directory = start; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'src', 'chat', 'page');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(directory) === directory) return candidate;
  }
}

async function load(name: string, asset: Asset): Promise<Buffer> {
  const cached = cache.get(name);
  if (cached) return cached;
  const content = await readFile(asset.file());
  cache.set(name, content);
  return content;
}

/** `<base href>` = the folder the page is served from, so relative asset and API URLs work under any route prefix. */
function withBase(html: Buffer, requestUrl: string): string {
  let folder = new URL(requestUrl).pathname.replace(/index\.html$/, '');
  if (!folder.endsWith('/')) folder += '/';
  const escaped = folder.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return html.toString('utf8').replace('<head>', `<head>\n  <base href="${escaped}">`);
}

export async function chatPage(request: HttpRequest): Promise<HttpResponseInit> {
  const name = request.params.asset || 'index.html';
  const asset = Object.prototype.hasOwnProperty.call(assets, name) ? assets[name] : undefined;
  if (!asset) {
    return errorResponse(404, 'NotFound', `no such chat asset: ${name.slice(0, 100)}`);
  }
  const content = await load(name, asset);
  return {
    status: 200,
    headers: { 'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
    body: name === 'index.html' ? withBase(content, request.url) : content,
  };
}

app.http('chatPage', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'chat/{*asset}',
  handler: chatPage,
});
