// Max pooling over NHWC windows with any stride and per-side padding.
// Padded cells hold `padValue` (-Infinity, as frameworks do; the seed network
// pools after ReLU, where zero padding is the same thing). Ties go to the
// first maximum in row-major window order; the gradient flows to that one
// element only, and nowhere when the maximum was a padded cell.

import { expectRank, expectSameShape, ShapeError, showShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { padAll, windowOutput, type Padding } from './conv2d.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

export interface MaxPoolOptions extends OpOptions {
  readonly size: number;
  readonly stride?: number;
  readonly pad?: Padding;
  readonly padValue?: number;
}

export const maxPool2d = (
  x: Tensor,
  { size, stride = size, pad = padAll(0), padValue = -Infinity, kernels = jsKernels }: MaxPoolOptions,
): Op<Tensor, { readonly x: Tensor }> => {
  expectRank('maxPool2d', 'input [n, h, w, c]', x.shape, 4);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const ho = windowOutput(h, size, stride, pad.top, pad.bottom);
  const wo = windowOutput(w, size, stride, pad.left, pad.right);
  if (ho < 1 || wo < 1 || Math.max(pad.top, pad.bottom, pad.left, pad.right) >= size) {
    throw new ShapeError(`maxPool2d: window ${size} with this padding does not fit input ${showShape(x.shape)}`);
  }
  const g = { n, h, w, c, kh: size, kw: size, stride, padTop: pad.top, padLeft: pad.left, ho, wo };
  const { y, argmax } = kernels.maxPool(g, x.data, padValue);
  const outShape = [n, ho, wo, c];
  return {
    out: tensor(outShape, y),
    backward: (dy) => {
      expectSameShape('maxPool2d backward', 'output gradient', dy.shape, outShape);
      return { x: tensor(x.shape, kernels.maxPoolBackward(argmax, dy.data, x.data.length)) };
    },
  };
};
