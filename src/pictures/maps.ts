// Pictures of a network's insides as rasters: the channels of a feature map
// (or of conv1's filters) as tiles, a 28x28 input, and a saliency map over the
// input. Pure: the `explain` command writes them as PNG files and the demo
// page paints the same rasters onto its canvases.

import { reshape, type Tensor } from '../core/tensor.ts';
import { createRaster, type Raster, type Rgb } from './raster.ts';

const GAP = 2;
const BLACK: Rgb = [0, 0, 0];
const POSITIVE: Rgb = [215, 25, 28];
const NEGATIVE: Rgb = [44, 90, 215];

/** Pixel (x, y) = base + (to - base) * a, per channel, for a in [0, 1]. */
const mix = (r: Raster, x: number, y: number, base: number, to: Rgb, a: number): void => {
  const p = (y * r.width + x) * 4;
  r.rgba[p] = base + (to[0] - base) * a;
  r.rgba[p + 1] = base + (to[1] - base) * a;
  r.rgba[p + 2] = base + (to[2] - base) * a;
  r.rgba[p + 3] = 255;
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
        if (signed) mix(r, ox + x, oy + y, 255, v >= 0 ? POSITIVE : NEGATIVE, Math.min(1, Math.abs(v)));
        else mix(r, ox + x, oy + y, 255, BLACK, Math.min(1, Math.max(0, v)));
      }
    }
  }
  return r;
};

/** The layers whose maps the page and `explain` show, in network order. */
export const MAP_LAYERS = ['relu1', 'pool1', 'relu2', 'pool2', 'relu3'] as const;

/** One layer's maps, laid out the same for the page and `explain`: 8 or 16 tiles a row, about 56 pixels each. */
export const mapsRaster = (t: Tensor): Raster => tilesRaster(t, t.shape[3]! <= 16 ? 8 : 16, Math.max(2, Math.round(56 / t.shape[1]!)));

/** First-layer HWIO filters [kh, kw, 1, o]: in memory one [1, kh, kw, o] image of o channels. */
export const filtersRaster = (w: Tensor): Raster => tilesRaster(reshape(w, [1, w.shape[0]!, w.shape[1]!, w.shape[3]!]), 8, 12, true);

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
