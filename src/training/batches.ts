// Turning MNIST bytes into float batches: pixels / 255, nothing else (as the
// reference). Pure: reads the split, writes only the tensor it allocates.

import { tensor, type Tensor } from '../core/tensor.ts';

export interface Images {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

/** The first `limit` examples of a split (a view, no copy). */
export const take = (s: Images, limit: number | null): Images => {
  if (limit === null || limit >= s.count) return s;
  const px = s.rows * s.cols;
  return { ...s, count: limit, pixels: s.pixels.subarray(0, limit * px), labels: s.labels.subarray(0, limit) };
};

/** Examples order[start..end) as an [n, rows, cols, 1] float32 tensor and their labels. */
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
