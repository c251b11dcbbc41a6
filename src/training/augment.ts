// Data augmentation as pure functions of a random key: moved, turned,
// resized, sheared copies of a batch of images (bilinear sampling) and
// thicker or thinner strokes (grey-level dilation and erosion). The key
// fixes every draw, so a run resumed at any step sees the same images as one
// that never stopped, whatever the thread count. Nothing passed in is
// written; each call returns a fresh batch.

import { finiteNumber, optionsBag } from '../core/check.ts';
import { foldIn, uniform, type Key } from '../core/random.ts';
import { expectRank } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Data, type Tensor } from '../core/tensor.ts';

/** A batch transform: images [n, h, w, c] in, images of the same shape out, determined by the key. */
export type Augment = (key: Key, x: Tensor) => Tensor;

/** Ranges of a random affine transform; each image draws its own values uniformly within them. */
export interface AffineSpec {
  /** Largest move along each axis, in pixels. */
  readonly shift?: number;
  /** Largest turn either way, in degrees. */
  readonly rotate?: number;
  /** Largest relative change of size: the scale is drawn from [1 - scale, 1 + scale]. */
  readonly scale?: number;
  /** Largest shear either way, in degrees. */
  readonly shear?: number;
}

/** One image's transform: the 2x2 matrix and the move that map input positions to output positions. */
export interface AffineParams {
  readonly rotate: number;
  readonly scale: number;
  readonly shear: number;
  readonly dx: number;
  readonly dy: number;
}

const dims = (op: string, x: Tensor): [number, number, number, number] => {
  expectRank(op, 'images [n, h, w, c]', x.shape, 4);
  return x.shape as [number, number, number, number];
};

/**
 * Writes image `i` of `src` moved by `p` into `out`: every output pixel
 * takes the bilinear sample of the input at the inverse-mapped position
 * (zero outside), about the image's centre. The identity and whole-pixel
 * moves copy values exactly.
 */
export const warpImage = (src: Readonly<Data>, out: Data, i: number, h: number, w: number, c: number, p: AffineParams): void => {
  const rad = (d: number): number => (d * Math.PI) / 180;
  const [cr, sr] = [Math.cos(rad(p.rotate)), Math.sin(rad(p.rotate))];
  const k = Math.tan(rad(p.shear));
  // Forward matrix M = rotation · scale · shear(x += k y); the inverse maps output to input.
  const m00 = p.scale * cr, m01 = p.scale * (cr * k - sr), m10 = p.scale * sr, m11 = p.scale * (sr * k + cr);
  const det = m00 * m11 - m01 * m10;
  const [i00, i01, i10, i11] = [m11 / det, -m01 / det, -m10 / det, m00 / det];
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  const base = i * h * w * c;
  // A plain loop with the bounds tests inline: this runs for every pixel of every training batch.
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const qx = u - cx - p.dx, qy = v - cy - p.dy;
      const x = i00 * qx + i01 * qy + cx, y = i10 * qx + i11 * qy + cy;
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const fx = x - x0, fy = y - y0;
      const inX0 = x0 >= 0 && x0 < w, inX1 = x0 + 1 >= 0 && x0 + 1 < w && fx !== 0;
      const inY0 = y0 >= 0 && y0 < h, inY1 = y0 + 1 >= 0 && y0 + 1 < h && fy !== 0;
      const o = base + (v * w + u) * c;
      const r0 = base + y0 * w * c, r1 = r0 + w * c;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        if (inY0) {
          if (inX0) acc += (1 - fx) * (1 - fy) * src[r0 + x0 * c + ch]!;
          if (inX1) acc += fx * (1 - fy) * src[r0 + (x0 + 1) * c + ch]!;
        }
        if (inY1) {
          if (inX0) acc += (1 - fx) * fy * src[r1 + x0 * c + ch]!;
          if (inX1) acc += fx * fy * src[r1 + (x0 + 1) * c + ch]!;
        }
        out[o + ch] = acc;
      }
    }
  }
};

/** The same transform for every image: for hand-made cases and fixed test-set copies. */
export const warp = (x: Tensor, p: AffineParams): Tensor => {
  const [n, h, w, c] = dims('warp', x);
  const out = alloc(dtypeOf(x), x.data.length);
  for (let i = 0; i < n; i++) warpImage(x.data, out, i, h, w, c, p);
  return tensor(x.shape, out);
};

/**
 * Random affine copies: each image moved, turned, resized and sheared by
 * values drawn from its own key (foldIn(key, i)) within `spec`.
 *
 * @example
 * const move = affine({ shift: 2, rotate: 10, scale: 0.1 });
 * const moved = move(key(7), batch.x);     // the same key gives the same images
 */
export const affine = (spec: AffineSpec): Augment => {
  const { shift = 0, rotate = 0, scale = 0, shear = 0 } = optionsBag('affine', 'spec', spec, '{ shift?, rotate?, scale?, shear? }');
  for (const [name, v] of Object.entries({ shift, rotate, scale, shear })) finiteNumber('affine', `spec.${name}`, v);
  return (k, x) => {
    const [n, h, w, c] = dims('affine', x);
    const out = alloc(dtypeOf(x), x.data.length);
    for (let i = 0; i < n; i++) {
      const [r, s, t, dx, dy] = Array.from(uniform(foldIn(k, i), 5), (u) => 2 * u - 1) as [number, number, number, number, number];
      const p = { rotate: r * rotate, scale: 1 + s * scale, shear: t * shear, dx: dx * shift, dy: dy * shift };
      warpImage(x.data, out, i, h, w, c, p);
    }
    return tensor(x.shape, out);
  };
};

/**
 * Grey-level morphology with a plus-shaped 3x3 neighbourhood: `dilate`
 * takes each pixel's largest neighbour (thicker strokes), `erode` the
 * smallest (thinner strokes); outside the image counts as 0. `strength`
 * below 1 moves each pixel only part of the way (0.5: half-way), for a
 * milder change; `which` picks the images changed.
 */
export const morph = (x: Tensor, kind: 'dilate' | 'erode', which: (i: number) => boolean = () => true, strength: (i: number) => number = () => 1): Tensor => {
  const [n, h, w, c] = dims(kind, x);
  const src = x.data;
  const out = alloc(dtypeOf(x), src.length);
  out.set(src as Data);
  const dilate = kind === 'dilate';
  for (let i = 0; i < n; i++) {
    if (!which(i)) continue;
    const f = strength(i);
    const base = i * h * w * c;
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        for (let ch = 0; ch < c; ch++) {
          const at = base + (r * w + q) * c + ch;
          const v = src[at]!;
          // Outside the image counts as 0.
          const up = r > 0 ? src[at - w * c]! : 0, down = r < h - 1 ? src[at + w * c]! : 0;
          const left = q > 0 ? src[at - c]! : 0, right = q < w - 1 ? src[at + c]! : 0;
          const m = dilate ? Math.max(v, up, down, left, right) : Math.min(v, up, down, left, right);
          out[at] = v + f * (m - v);
        }
      }
    }
  }
  return tensor(x.shape, out);
};

/**
 * Random stroke thickness: each image is dilated with probability
 * `thicken`, else eroded with probability `thin`, else left as it is; a
 * changed image moves a random quarter to all of the way (see morph).
 */
export const strokes = (spec: { readonly thicken?: number; readonly thin?: number }): Augment => {
  const { thicken = 0, thin = 0 } = optionsBag('strokes', 'spec', spec, '{ thicken?, thin? }');
  finiteNumber('strokes', 'spec.thicken', thicken);
  finiteNumber('strokes', 'spec.thin', thin);
  return (k, x) => {
    const n = x.shape[0] ?? 0;
    const u = uniform(k, 2 * n);
    // Each changed image moves between a quarter and all of the way.
    const strength = (i: number): number => 0.25 + 0.75 * u[n + i]!;
    const thick = morph(x, 'dilate', (i) => u[i]! < thicken, strength);
    return morph(thick, 'erode', (i) => u[i]! >= thicken && u[i]! < thicken + thin, strength);
  };
};

/** Several augmentations in order, each with its own key (foldIn(key, position)). */
export const compose = (...steps: readonly Augment[]): Augment => (k, x) =>
  steps.reduce((acc, f, i) => f(foldIn(k, i), acc), x);

/** The default recipe's augmentation: stroke thickness, then moves of up to 2.5 px, turns of 12°, sizes ±12 %, shear 8°. */
export const defaultAugment: Augment = compose(
  strokes({ thicken: 0.2, thin: 0.2 }),
  affine({ shift: 2.5, rotate: 12, scale: 0.12, shear: 8 }),
);
