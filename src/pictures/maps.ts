// Pictures of a network's insides as rasters: the channels of a feature map
// (or of conv1's filters) as tiles, a 28x28 input, and a saliency map over the
// input. Pure: the `explain` command writes them as PNG files and the demo
// page paints the same rasters onto its canvases.

import { reshape, type Tensor } from '../core/tensor.ts';
import { createRaster, drawText, drawTextCentered, GLYPH_HEIGHT, strokeRect, textHeight, textWidth, type Raster, type Rgb } from './raster.ts';

const BLACK: Rgb = [0, 0, 0];
const POSITIVE: Rgb = [215, 25, 28];
const NEGATIVE: Rgb = [44, 90, 215];
const FRAME: Rgb = [170, 170, 170];
const INK: Rgb = [90, 90, 90];
/** Tiles at least this wide get a frame and their channel number above them. */
const FRAMED = 14;
const LEGEND_H = 6 + 8 + 3 + 2 * GLYPH_HEIGHT;

/** Pixel (x, y) = base + (to - base) * a, per channel, for a in [0, 1]. */
const mix = (r: Raster, x: number, y: number, base: number, to: Rgb, a: number): void => {
  const p = (y * r.width + x) * 4;
  r.rgba[p] = base + (to[0] - base) * a;
  r.rgba[p + 1] = base + (to[1] - base) * a;
  r.rgba[p + 2] = base + (to[2] - base) * a;
  r.rgba[p + 3] = 255;
};

/** Where the tiles of a tiles raster sit, so that a click can be turned back into (channel, y, x). */
export interface TileLayout {
  /** Tiles per row, and how many tiles. */
  readonly cols: number;
  readonly count: number;
  /** Each tile's size in values (h, w) and in pixels per value. */
  readonly h: number;
  readonly w: number;
  readonly scale: number;
  /** The top-left pixel of tile 0's first value, and the distance from one tile to the next. */
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  /** The largest value (or magnitude, signed) that the colours are scaled by. */
  readonly range: number;
  readonly signed: boolean;
}

/** A raster of tiles and their layout. */
export type TileRaster = Raster & { readonly layout: TileLayout };

/** The value under pixel (px, py) of a tiles raster: its tile and position in it, or null between tiles. */
export const tileAt = (l: TileLayout, px: number, py: number): { readonly tile: number; readonly y: number; readonly x: number } | null => {
  const col = Math.floor((px - l.x0) / l.dx), row = Math.floor((py - l.y0) / l.dy);
  const x = Math.floor((px - l.x0 - col * l.dx) / l.scale), y = Math.floor((py - l.y0 - row * l.dy) / l.scale);
  const tile = row * l.cols + col;
  if (col < 0 || col >= l.cols || row < 0 || tile >= l.count || x < 0 || x >= l.w || y < 0 || y >= l.h) return null;
  return { tile, y, x };
};

/** The pixel box of value (y, x) of a tile (h by w values from there), for drawing a highlight over it. */
export const tileBox = (l: TileLayout, tile: number, y: number, x: number, h = 1, w = 1): { readonly x: number; readonly y: number; readonly w: number; readonly h: number } => ({
  x: l.x0 + (tile % l.cols) * l.dx + x * l.scale,
  y: l.y0 + Math.floor(tile / l.cols) * l.dy + y * l.scale,
  w: w * l.scale,
  h: h * l.scale,
});

/** A number short enough for the 5x7 font: 0.0123, 1.2e-5, 340. */
export const shortNumber = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e-2 && a < 1e4) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace('e+', 'e');
};

/** The colour scale under the tiles: white to black from 0 to the range, or blue through white (0) to red. */
const drawLegend = (r: Raster, y: number, range: number, signed: boolean): void => {
  const w = Math.min(r.width, 240);
  for (let x = 0; x < w; x++) {
    const t = x / Math.max(1, w - 1);
    for (let k = 0; k < 8; k++) {
      if (signed) mix(r, x, y + 6 + k, 255, t >= 0.5 ? POSITIVE : NEGATIVE, Math.abs(2 * t - 1));
      else mix(r, x, y + 6 + k, 255, BLACK, t);
    }
  }
  strokeRect(r, 0, y + 6, w, 8, FRAME);
  const ty = y + 6 + 8 + 3;
  const lo = signed ? shortNumber(-range) : '0', hi = signed ? `+${shortNumber(range)}` : shortNumber(range);
  drawText(r, lo, 0, ty, INK, 2);
  if (signed) drawTextCentered(r, '0', w / 2, ty, INK, 2);
  drawText(r, hi, w - textWidth(hi, 2), ty, INK, 2);
};

/**
 * The channels of example 0 of an [n, h, w, c] tensor as tiles, `cols` per
 * row, each value a `scale`-wide block, with its colour scale and range
 * under them. Activations (signed = false): dark = high, scaled by the
 * largest value of the whole layer so tiles compare. Gradients, filters and
 * other signed values: red positive, blue negative, white zero, scaled by
 * the largest magnitude. Tiles of 14 pixels or more are framed and
 * numbered; the layout says where each value sits. Without `decorate`: no
 * frames, numbers or colour scale (a thumbnail).
 */
export const tilesRaster = (t: Tensor, cols: number, scale: number, signed = false, decorate = true): TileRaster => {
  const [, h, w, c] = t.shape as [number, number, number, number];
  const rows = Math.ceil(c / cols);
  const tw = w * scale, th = h * scale;
  const framed = decorate && tw >= FRAMED && th >= 4;
  const labels = framed && tw >= textWidth(String(c - 1)) + 2;
  const f = framed ? 1 : 0, gap = framed ? 4 : 1, label = labels ? GLYPH_HEIGHT + 2 : 0;
  const dx = tw + 2 * f + gap, dy = th + 2 * f + gap + label;
  const width = cols * dx - gap;
  const r = createRaster(decorate ? Math.max(width, 240) : width, rows * dy - gap + (decorate ? LEGEND_H : 0));
  let top = 0;
  for (let i = 0; i < h * w * c; i++) top = Math.max(top, signed ? Math.abs(t.data[i]!) : t.data[i]!);
  const norm = top > 0 ? 1 / top : 0;
  const x0 = f, y0 = label + f;
  for (let ch = 0; ch < c; ch++) {
    const ox = x0 + (ch % cols) * dx, oy = y0 + Math.floor(ch / cols) * dy;
    if (framed) strokeRect(r, ox - 1, oy - 1, tw + 2, th + 2, FRAME);
    if (labels) drawText(r, String(ch), ox - 1, oy - 1 - label, INK);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = t.data[(Math.floor(y / scale) * w + Math.floor(x / scale)) * c + ch]! * norm;
        if (signed) mix(r, ox + x, oy + y, 255, v >= 0 ? POSITIVE : NEGATIVE, Math.min(1, Math.abs(v)));
        else mix(r, ox + x, oy + y, 255, BLACK, Math.min(1, Math.max(0, v)));
      }
    }
  }
  if (decorate) drawLegend(r, rows * dy - gap, top, signed);
  return Object.assign(r, { layout: { cols, count: c, h, w, scale, x0, y0, dx, dy, range: top, signed } });
};

/** The layers whose maps the page and `explain` show, in network order. */
export const MAP_LAYERS = ['relu1', 'pool1', 'relu2', 'pool2', 'relu3'] as const;

/**
 * One layer's maps [n, h, w, c] (or their gradients, `signed`), laid out the
 * same for the page and `explain`: 8 tiles a row (16 past 32 channels), about 56 pixels each.
 */
export const mapsRaster = (t: Tensor, signed = false): TileRaster => tilesRaster(t, t.shape[3]! <= 32 ? 8 : 16, Math.max(2, Math.round(56 / t.shape[1]!)), signed);

/** First-layer HWIO filters [kh, kw, 1, o]: in memory one [1, kh, kw, o] image of o channels. */
export const filtersRaster = (w: Tensor): TileRaster => tilesRaster(reshape(w, [1, w.shape[0]!, w.shape[1]!, w.shape[3]!]), 8, 12, true);

/**
 * A parameter, or its gradient or update, as a picture, signed (red
 * positive, blue negative): conv filters [kh, kw, cin, cout] as a tile per
 * filter (cin = 1) or a grid of kh x kw tiles, one row per input channel
 * and one column per filter; an untied bias [h, w, c] as maps; dense
 * weights [in, units] as one square tile per unit of its `in` weights (a
 * dense layer's gradient for one image is input x dOut, so every tile is
 * the same input pattern, scaled); a bias vector as one strip.
 */
export const paramRaster = (t: Tensor): TileRaster => {
  const s = t.shape;
  if (s.length === 4 && s[2] === 1) return filtersRaster(t);
  if (s.length === 4) return tilesRaster(reshape(t, [1, s[0]!, s[1]!, s[2]! * s[3]!]), s[3]!, s[3]! > 32 ? 3 : 4, true);
  if (s.length === 3) return mapsRaster(reshape(t, [1, ...s]), true);
  if (s.length === 2) {
    const side = Math.ceil(Math.sqrt(s[0]!));
    const square = new (t.data.constructor as Float32ArrayConstructor)(side * side * s[1]!);
    square.set(t.data);
    return tilesRaster({ shape: [1, side, side, s[1]!], data: square }, 10, Math.max(1, Math.round(40 / side)), true);
  }
  return vectorRaster(t.data, true);
};

/**
 * A vector of k values as one tile, row by row: all in one row up to 10,
 * else about square (value i at row floor(i / w), column i % w of the
 * layout; cells past k are zero).
 */
export const vectorRaster = (values: ArrayLike<number>, signed = false): TileRaster => {
  const k = values.length;
  const w = k <= 10 ? k : Math.ceil(Math.sqrt(k)), h = Math.ceil(k / w);
  const data = new Float64Array(w * h);
  for (let i = 0; i < k; i++) data[i] = values[i]!;
  return tilesRaster({ shape: [1, h, w, 1], data }, 1, Math.min(24, Math.max(4, Math.floor(240 / w))), signed);
};

/** The index (batch axis first, example 0) of the value at `pick` in a {@link layerRaster} of a tensor shaped `shape`; null past its end. */
export const layerIndexAt = (shape: readonly number[], l: TileLayout, pick: { readonly tile: number; readonly y: number; readonly x: number }): number[] | null => {
  if (shape.length === 4) return [0, pick.y, pick.x, pick.tile];
  const i = pick.y * l.w + pick.x;
  return i < shape[shape.length - 1]! ? [0, i] : null;
};

/** The index of the entry at `pick` in a {@link paramRaster} of a parameter shaped `shape`; null past its end. */
export const paramIndexAt = (shape: readonly number[], l: TileLayout, pick: { readonly tile: number; readonly y: number; readonly x: number }): number[] | null => {
  if (shape.length === 4) return shape[2] === 1 ? [pick.y, pick.x, 0, pick.tile] : [pick.y, pick.x, Math.floor(pick.tile / shape[3]!), pick.tile % shape[3]!];
  if (shape.length === 3) return [pick.y, pick.x, pick.tile];
  const i = pick.y * l.w + pick.x;
  if (i >= shape[0]!) return null;
  return shape.length === 2 ? [i, pick.tile] : [i];
};

/** A layer's values (or gradients, `signed`) for example 0: maps for [n, h, w, c], a vector raster (a row of tiles) for [n, k]. */
export const layerRaster = (t: Tensor, signed = false): TileRaster => {
  if (t.shape.length === 4) return mapsRaster(t, signed);
  const k = t.shape[t.shape.length - 1]!;
  return vectorRaster(t.data.subarray(0, k), signed);
};

/** A 28x28 input (0 = background, 255 = ink) dark on light, as it was drawn. */
export const digitRaster = (pixels: ArrayLike<number>, scale: number): Raster => {
  const r = createRaster(28 * scale, 28 * scale);
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) mix(r, x, y, 255, BLACK, pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)]! / 255);
  }
  return r;
};

/**
 * A saliency map (d logit / d pixel) over the faded 28x28 input: red where
 * more ink would raise the class's score, blue where it would lower it;
 * strength by the square root of the magnitude, so weak regions still show.
 */
export const saliencyRaster = (pixels: ArrayLike<number>, gradient: ArrayLike<number>, scale: number): Raster => {
  const r = createRaster(28 * scale, 28 * scale);
  let top = 0;
  for (let i = 0; i < 784; i++) top = Math.max(top, Math.abs(gradient[i]!));
  const norm = top > 0 ? 1 / top : 0;
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const i = Math.floor(y / scale) * 28 + Math.floor(x / scale);
      mix(r, x, y, 255 - 0.5 * pixels[i]!, gradient[i]! >= 0 ? POSITIVE : NEGATIVE, Math.sqrt(Math.abs(gradient[i]!) * norm));
    }
  }
  return r;
};

/** A picture with a line of text above it (for files that travel alone, into slides): the 5x7 font at twice its size. */
export const titled = (r: Raster, title: string): Raster => {
  const top = textHeight(2) + 8;
  const out = createRaster(Math.max(r.width, textWidth(title, 2) + 8), r.height + top);
  drawText(out, title, 4, 4, BLACK, 2);
  for (let y = 0; y < r.height; y++) out.rgba.set(r.rgba.subarray(y * r.width * 4, (y + 1) * r.width * 4), ((y + top) * out.width) * 4);
  return out;
};
