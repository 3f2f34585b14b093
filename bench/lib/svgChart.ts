/**
 * Line charts as plain SVG text, with log-scaled axes: a grid of panels, each with its series, vertical markers
 * (e.g. a knee) and horizontal rules (e.g. an SLA).
 *
 * Plain SVG rather than a charting library: the libraries that render SVG without a browser (Vega, d3's scale and
 * shape modules) are ESM-only, which this CommonJS build on Node 20.11 cannot load synchronously, and Vega brings
 * tens of megabytes for four small panels; the canvas-based ones (Chart.js) need a native canvas build. What a
 * chart needs here is a log scale, a polyline and a legend: about as much code as the glue a library would need.
 */

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  width?: number;
  /** [x, y]; points whose x or y is not a finite positive number are left out (log axes). */
  points: Array<[number, number]>;
}

export interface Marker {
  x: number;
  label: string;
  color: string;
}

/** A single point drawn as a ring, outside any line (e.g. a step measured apart from the sweep). */
export interface Ring {
  x: number;
  y: number;
  color: string;
}

export interface Rule {
  y: number;
  label: string;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  rules?: Rule[];
  rings?: Ring[];
  /** One line under the plot, e.g. what happened at overload. */
  notes?: string[];
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  columns: number;
  panelWidth?: number;
  panelHeight?: number;
}

const MARGIN = { left: 58, right: 16, top: 28, bottom: 44 };
const NOTE_LINE = 14;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function usable(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/** Decade bounds around the values, so ticks fall on 1, 10, 100…; one decade at least. */
function logDomain(values: number[]): [number, number] {
  const finite = values.filter(usable);
  if (finite.length === 0) return [1, 10];
  let low = 10 ** Math.floor(Math.log10(Math.min(...finite)));
  let high = 10 ** Math.ceil(Math.log10(Math.max(...finite)));
  if (high <= low) high = low * 10;
  if (!usable(low)) low = 1;
  return [low, high];
}

function logScale([low, high]: [number, number], [from, to]: [number, number]): (value: number) => number {
  const span = Math.log10(high) - Math.log10(low);
  return (value) => from + ((Math.log10(value) - Math.log10(low)) / span) * (to - from);
}

/** 1, 2, 5 steps within each decade, labelled at the decade and at 2 and 5 when there is room. */
function logTicks([low, high]: [number, number]): number[] {
  const ticks: number[] = [];
  const decades = Math.round(Math.log10(high / low));
  const steps = decades <= 3 ? [1, 2, 5] : [1];
  for (let decade = low; decade <= high * 1.0001; decade *= 10) {
    for (const step of steps) if (decade * step <= high * 1.0001) ticks.push(decade * step);
  }
  return ticks;
}

export function formatTick(value: number): string {
  if (value >= 1_000_000) return `${value / 1_000_000}M`;
  if (value >= 1000) return `${value / 1000}k`;
  if (value >= 1) return String(value);
  return value.toPrecision(1);
}

function renderPanel(panel: Panel, width: number, height: number): string {
  const notes = panel.notes ?? [];
  const plotBottom = height - MARGIN.bottom - notes.length * NOTE_LINE;
  const rings = panel.rings ?? [];
  const xs = panel.series.flatMap((s) => s.points.map(([x]) => x)).concat((panel.markers ?? []).map((m) => m.x), rings.map((r) => r.x));
  const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).concat((panel.rules ?? []).map((r) => r.y), rings.map((r) => r.y));
  const xDomain = logDomain(xs);
  const yDomain = logDomain(ys);
  const x = logScale(xDomain, [MARGIN.left, width - MARGIN.right]);
  const y = logScale(yDomain, [plotBottom, MARGIN.top]);
  const parts: string[] = [];
  parts.push(`<text x="${MARGIN.left}" y="18" class="title">${escapeText(panel.title)}</text>`);
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${width - MARGIN.left - MARGIN.right}" height="${plotBottom - MARGIN.top}" class="frame"/>`);
  for (const tick of logTicks(xDomain)) {
    const at = x(tick).toFixed(1);
    parts.push(`<line x1="${at}" x2="${at}" y1="${MARGIN.top}" y2="${plotBottom}" class="grid"/>`);
    parts.push(`<text x="${at}" y="${plotBottom + 14}" class="tick" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of logTicks(yDomain)) {
    const at = y(tick).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${at}" y2="${at}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${at}" class="tick" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`);
  }
  parts.push(`<text x="${(MARGIN.left + width - MARGIN.right) / 2}" y="${plotBottom + 30}" class="axis" text-anchor="middle">${escapeText(panel.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)" class="axis" text-anchor="middle">${escapeText(panel.yLabel)}</text>`);
  for (const rule of panel.rules ?? []) {
    if (!usable(rule.y)) continue;
    const at = y(rule.y).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${at}" y2="${at}" class="rule"/>`);
    parts.push(`<text x="${MARGIN.left + 4}" y="${Number(at) - 4}" class="tick label">${escapeText(rule.label)}</text>`);
  }
  for (const [index, marker] of (panel.markers ?? []).entries()) {
    if (!usable(marker.x)) continue;
    const at = x(marker.x);
    parts.push(`<line x1="${at.toFixed(1)}" x2="${at.toFixed(1)}" y1="${MARGIN.top}" y2="${plotBottom}" stroke="${marker.color}" class="marker"/>`);
    // Labels in the right half go to the line's left, so they stay inside the panel.
    const leftOfLine = at > (MARGIN.left + width - MARGIN.right) / 2;
    parts.push(`<text x="${(leftOfLine ? at - 3 : at + 3).toFixed(1)}" y="${MARGIN.top + 12 + index * 12}" class="tick label" fill="${marker.color}" text-anchor="${leftOfLine ? 'end' : 'start'}">${escapeText(marker.label)}</text>`);
  }
  for (const series of panel.series) {
    const points = series.points.filter(([px, py]) => usable(px) && usable(py));
    if (points.length === 0) continue;
    const path = points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    const dash = series.dashed === true ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="${series.width ?? 2}"${dash}/>`);
    for (const [px, py] of points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5" fill="${series.color}"/>`);
  }
  for (const ring of rings) {
    if (!usable(ring.x) || !usable(ring.y)) continue;
    parts.push(`<circle cx="${x(ring.x).toFixed(1)}" cy="${y(ring.y).toFixed(1)}" r="4.5" fill="none" stroke="${ring.color}" stroke-width="1.5"/>`);
  }
  notes.forEach((note, index) => {
    parts.push(`<text x="${MARGIN.left}" y="${plotBottom + 30 + (index + 1) * NOTE_LINE}" class="note">${escapeText(note)}</text>`);
  });
  return parts.join('\n');
}

function renderLegend(series: Series[], width: number): string {
  const seen = new Set<string>();
  const items = series.filter((s) => !seen.has(s.name) && seen.add(s.name));
  const itemWidth = Math.min(220, Math.floor(width / Math.max(1, items.length)));
  return items
    .map((s, index) => {
      const left = 16 + index * itemWidth;
      const dash = s.dashed === true ? ' stroke-dasharray="6 4"' : '';
      return `<line x1="${left}" x2="${left + 28}" y1="0" y2="0" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dash}/><text x="${left + 34}" y="0" class="tick" dominant-baseline="middle">${escapeText(s.name)}</text>`;
    })
    .join('\n');
}

/** The whole chart as one SVG document. */
export function renderChart(panels: Panel[], options: ChartOptions): string {
  const panelWidth = options.panelWidth ?? 480;
  const panelHeight = options.panelHeight ?? 320;
  const rows = Math.ceil(panels.length / options.columns);
  const header = options.subtitle === undefined ? 40 : 56;
  const legendHeight = 24;
  const width = panelWidth * options.columns;
  const height = header + legendHeight + rows * panelHeight;
  const body = panels.map((panel, index) => {
    const left = (index % options.columns) * panelWidth;
    const top = header + legendHeight + Math.floor(index / options.columns) * panelHeight;
    return `<g transform="translate(${left} ${top})">\n${renderPanel(panel, panelWidth, panelHeight)}\n</g>`;
  });
  const subtitle = options.subtitle === undefined ? '' : `<text x="16" y="44" class="subtitle">${escapeText(options.subtitle)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    '<style>.title{font-size:13px;font-weight:600}.subtitle{font-size:11px;fill:#555}.tick{font-size:10px;fill:#444}.axis{font-size:11px;fill:#333}.note{font-size:10px;fill:#333}.frame{fill:#fff;stroke:#999}.grid{stroke:#e6e6e6}.rule{stroke:#c0392b;stroke-dasharray:2 3}.marker{stroke-dasharray:3 3;stroke-width:1.2}.label{paint-order:stroke;stroke:#fff;stroke-width:3px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="26" class="title" font-size="15">${escapeText(options.title)}</text>`,
    subtitle,
    `<g transform="translate(0 ${header + 8})">\n${renderLegend(panels.flatMap((p) => p.series), width)}\n</g>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
