/**
 * Summarises V8 CPU profiles written by `node dist/bench/run.js --cpu-prof` (or `node --cpu-prof`):
 * top functions by self time, and self time per file/package, so a missed target can be traced to code.
 *
 *   node dist/bench/profileSummary.js bench/results/profiles/<file>.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function place(url: string): string {
  if (url === '') return '(native/vm)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : url;
}

/** Layers a sample is charged to: the nearest frame on its stack that belongs to one of them. */
const LAYERS: Array<[string, RegExp]> = [
  ['JWT (jsonwebtoken/jws/jwa + HMAC)', /jsonwebtoken|\/jws\/|\/jwa\/|node:internal\/crypto\/hash/],
  ['@azure/functions HttpRequest/HttpResponse (undici, web streams)', /undici|webstreams|@azure\/functions/],
  ['axios', /\/axios\//],
  ['ws', /\/ws\//],
  ['local host (src/localhost)', /\/dist\/src\/localhost\//],
  ['emulator (src/emulator)', /\/dist\/src\/emulator\//],
  ['app and service code (functions/, other src/)', /\/dist\/(src|functions)\//],
  ['bench harness (bench/)', /\/dist\/bench\//],
  ['node:http, net, streams (incl. their syscalls)', /node:(_http|net|internal\/stream|internal\/streams|stream)/],
];

function layerOf(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (!frame) break;
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    for (const [name, pattern] of LAYERS) if (pattern.test(frame.url)) return name;
  }
  return 'other (native, microtasks, timers)';
}

export function summarise(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${place(url)}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    byPlace.set(place(url), (byPlace.get(place(url)) ?? 0) + micros);
  }
  const lines = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node || node.callFrame.url === '') continue;
      const key = `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const byLayer = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const layer = layerOf(id, byId, parent);
    if (layer === 'idle') continue;
    busy += micros;
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
  }
  const layerLines = [...byLayer.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, micros]) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${name}`);
  const ours = new Map([...inclusive].filter(([key]) => !/ (node:|npm:|\(native)/.test(key)));
  return [
    `total ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy`,
    '-- busy time by layer (nearest frame of a known layer) --',
    ...layerLines,
    '-- self time by function --',
    ...lines(byFunction),
    '-- self time by file/package --',
    ...lines(byPlace),
    '-- inclusive time, project code --',
    ...lines(ours),
    '-- inclusive time, all --',
    ...lines(inclusive),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith('--') && (topIndex < 0 || i !== topIndex + 1));
  for (const file of files) {
    process.stdout.write(`== ${file}\n${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, top)}\n`);
  }
}
