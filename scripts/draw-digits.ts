// `npx tsx scripts/draw-digits.ts`: writes test/fixtures/drawn/*.png, digits
// drawn the way people draw them on the demo page rather than the way MNIST
// was made: off-centre, thin, large, small, slanted, dark ink on white. Each
// is a pen stroke (polylines through hand-placed points) rendered with a
// round, anti-aliased brush. Committed; the predict test reads them.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../src/platform/png.ts';

type Pt = readonly [number, number];

// Strokes in a unit box, x to the right, y down.
const ellipse = (cx: number, cy: number, rx: number, ry: number): Pt[] =>
  Array.from({ length: 41 }, (_, i) => [cx + rx * Math.cos((i / 40) * 2 * Math.PI), cy + ry * Math.sin((i / 40) * 2 * Math.PI)] as const);
const DIGITS: Record<string, readonly Pt[][]> = {
  '0': [ellipse(0.5, 0.5, 0.28, 0.4)],
  '1': [[[0.38, 0.22], [0.56, 0.1], [0.5, 0.9]]],
  '2': [[[0.22, 0.3], [0.32, 0.15], [0.5, 0.1], [0.7, 0.16], [0.76, 0.32], [0.66, 0.5], [0.22, 0.9], [0.84, 0.88]]],
  '3': [[[0.22, 0.16], [0.5, 0.1], [0.74, 0.2], [0.7, 0.38], [0.46, 0.47], [0.72, 0.56], [0.78, 0.74], [0.6, 0.9], [0.24, 0.86]]],
  '4': [[[0.62, 0.9], [0.62, 0.1], [0.16, 0.64], [0.86, 0.64]]],
  '7': [[[0.16, 0.12], [0.84, 0.12], [0.42, 0.9]]],
};

interface Drawing {
  readonly name: string;
  readonly digit: string;
  readonly size: number;
  /** Where the unit box lies on the canvas: left, top, width, height in pixels. */
  readonly box: readonly [number, number, number, number];
  /** Brush radius in pixels. */
  readonly pen: number;
  /** Horizontal slant: x += slant * (0.5 - y). */
  readonly slant?: number;
  /** A turn about the box's centre, in degrees (clockwise on screen). */
  readonly turn?: number;
}

const DRAWINGS: readonly Drawing[] = [
  { name: '7-off-centre', digit: '7', size: 280, box: [10, 12, 120, 150], pen: 9 },
  { name: '2-thin', digit: '2', size: 400, box: [90, 60, 220, 280], pen: 3 },
  { name: '4-large', digit: '4', size: 240, box: [-10, -8, 260, 256], pen: 14 },
  { name: '3-bottom-right', digit: '3', size: 300, box: [170, 150, 110, 140], pen: 7 },
  { name: '1-slanted', digit: '1', size: 200, box: [50, 20, 100, 160], pen: 6, slant: 0.35 },
  { name: '0-wide-thin', digit: '0', size: 320, box: [30, 70, 260, 190], pen: 4 },
  { name: '7-hairline', digit: '7', size: 400, box: [80, 60, 240, 280], pen: 1.5 },
  { name: '4-heavy', digit: '4', size: 200, box: [20, 20, 160, 160], pen: 16 },
  { name: '2-turned', digit: '2', size: 240, box: [50, 40, 140, 160], pen: 8, turn: 25 },
  { name: '3-turned-thin', digit: '3', size: 300, box: [70, 60, 160, 180], pen: 3, turn: -20 },
];

const segmentDistance = (px: number, py: number, [ax, ay]: Pt, [bx, by]: Pt): number => {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
};

const render = (d: Drawing): { width: number; height: number; rgba: Uint8ClampedArray } => {
  const [left, top, w, h] = d.box;
  const [cos, sin] = [Math.cos(((d.turn ?? 0) * Math.PI) / 180), Math.sin(((d.turn ?? 0) * Math.PI) / 180)];
  const place = ([x, y]: Pt): Pt => {
    const px = left + (x + (d.slant ?? 0) * (0.5 - y)) * w, py = top + y * h;
    const cx = left + w / 2, cy = top + h / 2;
    return [cx + cos * (px - cx) - sin * (py - cy), cy + sin * (px - cx) + cos * (py - cy)];
  };
  const strokes = DIGITS[d.digit]!.map((line) => line.map(place));
  const rgba = new Uint8ClampedArray(d.size * d.size * 4);
  for (let y = 0; y < d.size; y++) {
    for (let x = 0; x < d.size; x++) {
      let dist = Infinity;
      for (const line of strokes) for (let i = 1; i < line.length; i++) dist = Math.min(dist, segmentDistance(x + 0.5, y + 0.5, line[i - 1]!, line[i]!));
      const ink = Math.max(0, Math.min(1, d.pen - dist + 0.5));
      const v = Math.round(255 * (1 - ink));
      rgba.set([v, v, v, 255], (y * d.size + x) * 4);
    }
  }
  return { width: d.size, height: d.size, rgba };
};

const dir = join('test', 'fixtures', 'drawn');
mkdirSync(dir, { recursive: true });
for (const d of DRAWINGS) {
  writeFileSync(join(dir, `${d.name}.png`), encodePng(render(d)));
  console.log(`${join(dir, d.name)}.png: a ${d.digit}`);
}
