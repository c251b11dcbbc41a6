// Max pooling over NHWC windows with any stride and per-side padding.
// Padded cells hold `padValue` (-Infinity, as frameworks do; the seed network
// pools after ReLU, where zero padding is the same thing). Ties go to the
// first maximum in row-major window order; the gradient flows to that one
// element only, and nowhere when the maximum was a padded cell.

import { expectRank, expectSameShape, ShapeError, showShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import { padAll, windowOutput, type Padding } from './conv2d.ts';
import type { Op } from './op.ts';

export interface MaxPoolOptions {
  readonly size: number;
  readonly stride?: number;
  readonly pad?: Padding;
  readonly padValue?: number;
}

export const maxPool2d = (
  x: Tensor,
  { size, stride = size, pad = padAll(0), padValue = -Infinity }: MaxPoolOptions,
): Op<Tensor, { readonly x: Tensor }> => {
  expectRank('maxPool2d', 'input [n, h, w, c]', x.shape, 4);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const ho = windowOutput(h, size, stride, pad.top, pad.bottom);
  const wo = windowOutput(w, size, stride, pad.left, pad.right);
  if (ho < 1 || wo < 1 || Math.max(pad.top, pad.bottom, pad.left, pad.right) >= size) {
    throw new ShapeError(`maxPool2d: window ${size} with this padding does not fit input ${showShape(x.shape)}`);
  }
  const xd = x.data;
  const y = alloc(dtypeOf(x), n * ho * wo * c);
  const argmax = new Int32Array(y.length); // index into x, or -1 for a padded cell
  // Channels innermost: each window cell updates all c running maxima at once.
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const o = ((b * ho + oy) * wo + ox) * c;
        let first = true;
        for (let ky = 0; ky < size; ky++) {
          const iy = oy * stride + ky - pad.top;
          for (let kx = 0; kx < size; kx++) {
            const ix = ox * stride + kx - pad.left;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              const i0 = ((b * h + iy) * w + ix) * c;
              for (let ci = 0; ci < c; ci++) {
                const v = xd[i0 + ci]!;
                if (first || v > y[o + ci]!) {
                  y[o + ci] = v;
                  argmax[o + ci] = i0 + ci;
                }
              }
            } else {
              for (let ci = 0; ci < c; ci++) {
                if (first || padValue > y[o + ci]!) {
                  y[o + ci] = padValue;
                  argmax[o + ci] = -1;
                }
              }
            }
            first = false;
          }
        }
      }
    }
  }
  const outShape = [n, ho, wo, c];
  return {
    out: tensor(outShape, y),
    backward: (dy) => {
      expectSameShape('maxPool2d backward', 'output gradient', dy.shape, outShape);
      const dx = alloc(dtypeOf(x), xd.length);
      for (let i = 0; i < argmax.length; i++) {
        const a = argmax[i]!;
        if (a >= 0) dx[a] += dy.data[i]!;
      }
      return { x: tensor(x.shape, dx) };
    },
  };
};
