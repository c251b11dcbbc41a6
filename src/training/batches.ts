// Turning MNIST bytes into float batches: pixels / 255, nothing else (as the
// reference). Pure: reads the split, writes only the tensor it allocates.

import { nonNegativeInt } from '../core/check.ts';
import { tensor, type Tensor } from '../core/tensor.ts';

/** A labelled image set as bytes, as an IDX pair holds it (MNIST's train or test split). */
export interface Images {
  /** How many images. */
  readonly count: number;
  /** Image height, in pixels. */
  readonly rows: number;
  /** Image width, in pixels. */
  readonly cols: number;
  /** count · rows · cols bytes, image after image, row-major; 0 = background, 255 = ink. */
  readonly pixels: Uint8Array;
  /** One label per image. */
  readonly labels: Uint8Array;
}

/** A data set's two splits, as MNIST ships them. */
export interface Dataset {
  readonly train: Images;
  readonly test: Images;
}

/** The first `limit` examples of a split (a view, no copy); all of them when `limit` is null or larger. */
export const take = (s: Images, limit: number | null): Images => {
  if (limit !== null) nonNegativeInt('take', 'limit', limit);
  if (limit === null || limit >= s.count) return s;
  const px = s.rows * s.cols;
  return { ...s, count: limit, pixels: s.pixels.subarray(0, limit * px), labels: s.labels.subarray(0, limit) };
};

/**
 * Examples order[start..end) (start..end in file order when `order` is
 * null) as an [n, rows, cols, 1] float32 tensor of pixels / 255, and their
 * labels. Fresh arrays; `s` is only read.
 */
export const makeBatch = (
  s: Images,
  order: ArrayLike<number> | null,
  start: number,
  end: number,
): { readonly x: Tensor; readonly labels: Uint8Array } => {
  const n = end - start;
  const px = s.rows * s.cols;
  const x = new Float32Array(n * px);
  const labels = new Uint8Array(n);
  for (let b = 0; b < n; b++) {
    const i = order === null ? start + b : order[start + b]!;
    const src = i * px;
    for (let p = 0; p < px; p++) x[b * px + p] = s.pixels[src + p]! / 255;
    labels[b] = s.labels[i]!;
  }
  return { x: tensor([n, s.rows, s.cols, 1], x), labels };
};

/** The index of the largest value of each row of logits [n, classes], the first on ties; bytes, so up to 256 classes. */
export const argmaxRows = (logits: Tensor): Uint8Array => {
  const c = logits.shape[1]!;
  const out = new Uint8Array(logits.shape[0]!);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[r * c + j]! > logits.data[r * c + best]!) best = j;
    out[r] = best;
  }
  return out;
};
