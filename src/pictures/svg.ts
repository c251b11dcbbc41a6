// Report charts as SVG text: training curves and a confusion matrix. Pure
// string building, so the same charts can be written to disk or put in a page.

import { heatColor } from './raster.ts';

/** A point of a series, in data units. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** One curve of a chart. */
export interface Series {
  /** Its name in the legend. */
  readonly name: string;
  readonly points: readonly Point[];
  /** Any SVG colour; default: the next of the palette. */
  readonly color?: string;
}

/** The titles and size of a {@link curvesSvg} chart. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Pixels; default 640. */
  readonly width?: number;
  /** Pixels; default 400. */
  readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Rounds coordinates so the SVG stays small and never prints exponent notation. */
const f = (v: number): string => String(Math.round(v * 100) / 100);

/** A range that is never empty, so a single point or a constant series still gets a scale. */
const span = (values: readonly number[]): [number, number] => {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi > lo) return [lo, hi];
  const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - pad, hi + pad];
};

/** About `target` ticks at 1, 2 or 5 times a power of ten, covering [lo, hi]. */
const niceTicks = (lo: number, hi: number, target = 5): { ticks: number[]; lo: number; hi: number; step: number } => {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((k) => k * mag >= raw) ?? 10) * mag;
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let k = 0; a + k * step <= b + step * 1e-9; k++) ticks.push(a + k * step);
  return { ticks, lo: a, hi: b, step };
};

const tickLabel = (v: number, step: number): string => {
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
};

/**
 * Line charts as SVG text: the series on shared, rounded axes, with a legend
 * in the corner the curves cross least. Non-finite points (a diverged loss)
 * are left out.
 *
 * @example
 * const svg = curvesSvg(
 *   [{ name: 'train', points: history.map((m) => ({ x: m.epoch + 1, y: m.trainLoss })) }],
 *   { title: 'loss', xLabel: 'epoch', yLabel: 'loss' },
 * );
 */
export const curvesSvg = (series: readonly Series[], opts: ChartOptions): string => {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  // Non-finite values (a diverged loss) would poison the scale and the path data, so they are not drawn.
  const clean = series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) }));
  const all = clean.flatMap((s) => s.points);
  const xs = niceTicks(...span(all.map((p) => p.x)));
  const ys = niceTicks(...span(all.map((p) => p.y)));
  const L = 64, R = 16, T = 36, B = 48;
  const pw = W - L - R, ph = H - T - B;
  const px = (x: number): number => L + ((x - xs.lo) / (xs.hi - xs.lo)) * pw;
  const py = (y: number): number => T + ph - ((y - ys.lo) / (ys.hi - ys.lo)) * ph;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${f(W / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (const t of xs.ticks) {
    out.push(`<line x1="${f(px(t))}" y1="${T}" x2="${f(px(t))}" y2="${T + ph}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${f(px(t))}" y="${T + ph + 16}" text-anchor="middle">${tickLabel(t, xs.step)}</text>`);
  }
  for (const t of ys.ticks) {
    out.push(`<line x1="${L}" y1="${f(py(t))}" x2="${L + pw}" y2="${f(py(t))}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${L - 6}" y="${f(py(t) + 4)}" text-anchor="end">${tickLabel(t, ys.step)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f(L + pw / 2)}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${f(T + ph / 2)}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);

  clean.forEach((s, k) => {
    const color = esc(s.color ?? PALETTE[k % PALETTE.length]!);
    const pts = s.points.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ');
    out.push(`<g class="series" data-name="${esc(s.name)}">`);
    if (s.points.length > 1) out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`);
    // A lone point has no line to show, and a short series reads better with markers.
    if (s.points.length <= 20) for (const p of s.points) out.push(`<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="3" fill="${color}"/>`);
    out.push('</g>');
  });

  const legendW = 24 + 7 * Math.max(0, ...clean.map((s) => s.name.length)) + 8;
  const legendH = clean.length * 18 + 8;
  // The legend goes in the corner the curves cross least (accuracy climbs into the top right, loss falls to the bottom right).
  const samples = clean.flatMap((s) =>
    s.points.flatMap((p, i) => {
      const q = s.points[i + 1] ?? p;
      return Array.from({ length: 8 }, (_, k) => [px(p.x + ((q.x - p.x) * k) / 8), py(p.y + ((q.y - p.y) * k) / 8)] as const);
    }),
  );
  const corners = [[L + pw - legendW - 8, T + 8], [L + pw - legendW - 8, T + ph - legendH - 8], [L + 8, T + 8], [L + 8, T + ph - legendH - 8]] as const;
  const hits = ([x, y]: readonly [number, number]): number =>
    samples.filter(([sx, sy]) => sx >= x - 4 && sx <= x + legendW + 4 && sy >= y - 4 && sy <= y + legendH + 4).length;
  const [lx, ly] = corners.reduce((best, c) => (hits(c) < hits(best) ? c : best));
  out.push(`<g class="legend"><rect x="${lx}" y="${ly}" width="${legendW}" height="${legendH}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  clean.forEach((s, k) => {
    const y = ly + 13 + k * 18;
    const color = esc(s.color ?? PALETTE[k % PALETTE.length]!);
    out.push(`<line x1="${lx + 6}" y1="${y}" x2="${lx + 20}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="${y + 4}">${esc(s.name)}</text>`);
  });
  out.push('</g>', '</svg>');
  return out.join('\n') + '\n';
};

/**
 * A confusion matrix as SVG text. Row = true label, column = predicted;
 * colour is the row-normalised fraction (square root, so mistakes show).
 * `labels` names the classes (default 0, 1, ...). Throws a RangeError when
 * the matrix is not square.
 */
export const confusionMatrixSvg = (matrix: ReadonlyArray<readonly number[]>, labels?: readonly string[]): string => {
  const n = matrix.length;
  if (matrix.some((row) => row.length !== n)) throw new RangeError('confusionMatrixSvg: matrix must be square');
  const names = labels ?? Array.from({ length: n }, (_, i) => String(i));
  const max = Math.max(0, ...matrix.flat());
  const cell = Math.max(36, 9 * String(max).length + 12);
  const L = 60, T = 60, M = 16;
  const W = L + n * cell + M;
  const H = T + n * cell + M;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${f(L + (n * cell) / 2)}" y="20" text-anchor="middle" font-weight="bold">predicted</text>`,
    `<text transform="translate(20 ${f(T + (n * cell) / 2)}) rotate(-90)" text-anchor="middle" font-weight="bold">true</text>`,
  ];
  matrix.forEach((row, i) => {
    const rowSum = row.reduce((a, b) => a + b, 0);
    out.push(`<text x="${f(L + i * cell + cell / 2)}" y="${T - 10}" text-anchor="middle">${esc(names[i] ?? String(i))}</text>`);
    out.push(`<text x="${L - 8}" y="${f(T + i * cell + cell / 2 + 4)}" text-anchor="end">${esc(names[i] ?? String(i))}</text>`);
    row.forEach((v, j) => {
      const t = rowSum > 0 && v > 0 ? Math.max(0.15, Math.sqrt(v / rowSum)) : 0;
      const [r, g, b] = heatColor(t);
      const ink = v === 0 ? '#aaa' : t > 0.55 ? 'white' : i === j ? 'black' : '#c00';
      const x = L + j * cell, y = T + i * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${r},${g},${b})" stroke="#ddd"/>`);
      out.push(`<text x="${f(x + cell / 2)}" y="${f(y + cell / 2 + 4)}" text-anchor="middle" fill="${ink}">${v}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
};
