// Pictures of a network's insides as rasters: the channels of a feature map
// (or of conv1's filters) as tiles, a 28x28 input, and a saliency map over the
// input. Pure: the `explain` command writes them as PNG files and the demo
// page paints the same rasters onto its canvases.

import type { Tensor } from '../core/tensor.ts';
import { createRaster, type Raster, type Rgb } from './raster.ts';

const GAP = 2;
const POSITIVE: Rgb = [215, 25, 28];
const NEGATIVE: Rgb = [44, 90, 215];

const put = (r: Raster, x: number, y: number, [red, green, blue]: Rgb): void => {
  const p = (y * r.width + x) * 4;
  r.rgba[p] = red;
  r.rgba[p + 1] = green;
  r.rgba[p + 2] = blue;
  r.rgba[p + 3] = 255;
};

/** White at 0 towards `to` at t = 1. */
const towards = (to: Rgb, t: number): Rgb => {
  const a = Math.min(1, Math.abs(t));
  return [255 + (to[0] - 255) * a, 255 + (to[1] - 255) * a, 255 + (to[2] - 255) * a];
};

/**
 * The channels of example 0 of an [n, h, w, c] tensor as tiles, `cols` per
 * row, each value a `scale`-wide block. Activations (signed = false): dark =
 * high, scaled by the largest value of the whole layer so tiles compare.
 * Filters and other signed values: red positive, blue negative, scaled by the
 * largest magnitude.
 */
export const tilesRaster = (t: Tensor, cols: number, scale: number, signed = false): Raster => {
  const [, h, w, c] = t.shape as [number, number, number, number];
  const rows = Math.ceil(c / cols);
  const tw = w * scale, th = h * scale;
  const r = createRaster(cols * tw + (cols - 1) * GAP, rows * th + (rows - 1) * GAP);
  let top = 0;
  for (let i = 0; i < h * w * c; i++) top = Math.max(top, signed ? Math.abs(t.data[i]!) : t.data[i]!);
  const norm = top > 0 ? 1 / top : 0;
  for (let ch = 0; ch < c; ch++) {
    const ox = (ch % cols) * (tw + GAP), oy = Math.floor(ch / cols) * (th + GAP);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = t.data[(Math.floor(y / scale) * w + Math.floor(x / scale)) * c + ch]! * norm;
        put(r, ox + x, oy + y, signed ? towards(v >= 0 ? POSITIVE : NEGATIVE, v) : towards([0, 0, 0], Math.max(0, v)));
      }
    }
  }
  return r;
};

/** A 28x28 input (0 = background, 255 = ink) dark on light, as it was drawn. */
export const digitRaster = (pixels: ArrayLike<number>, scale: number): Raster => {
  const r = createRaster(28 * scale, 28 * scale);
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const v = 255 - pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
      put(r, x, y, [v, v, v]);
    }
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
      const base = 255 - 0.5 * pixels[i]!;
      const a = Math.sqrt(Math.abs(gradient[i]!) * norm);
      const [cr, cg, cb] = gradient[i]! >= 0 ? POSITIVE : NEGATIVE;
      put(r, x, y, [base * (1 - a) + cr * a, base * (1 - a) + cg * a, base * (1 - a) + cb * a]);
    }
  }
  return r;
};
