// Max pooling over NHWC windows with any stride and per-side padding.
// Padded cells hold `padValue` (-Infinity, as frameworks do; the seed network
// pools after ReLU, where zero padding is the same thing). Ties go to the
// first maximum in row-major window order; the gradient flows to that one
// element only, and nowhere when the maximum was a padded cell.

import { opArgs, optionsBag, paddingOf, positiveInt } from '../core/check.ts';
import { expectRank, expectSameShape, ShapeError, showShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { padAll, windowOutput, type Padding } from './conv2d.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/** The options of {@link maxPool2d}: the window and the kernel set. */
export interface MaxPoolOptions extends OpOptions {
  /** The side of the square window. */
  readonly size: number;
  /** The step between windows; default `size` (windows that do not overlap). */
  readonly stride?: number;
  /** Padding per side; default none. Each side must be smaller than `size`. */
  readonly pad?: Padding;
  /** The value of padded cells; default -Infinity (0 is the same after a ReLU). */
  readonly padValue?: number;
}

/**
 * Max pooling of a batch x [n, h, w, c] (NHWC) over size x size windows,
 * channel by channel: output [n, ho, wo, c] with
 * ho = floor((h + pad.top + pad.bottom - size) / stride) + 1 (and wo alike).
 * Ties go to the first maximum in row-major window order; `backward(dy)`
 * gives `{ x }`, each output's gradient sent to that one input element
 * (nowhere when the maximum was a padded cell). Returns fresh arrays and
 * never writes its inputs.
 *
 * Throws a ShapeError when x is not rank 4, the window does not fit the
 * padded input, or a side's padding is not smaller than the window.
 *
 * @example
 * const x = fromArray([1, 2, 2, 1], [1, 4, 3, 2]);
 * const { out, backward } = ops.maxPool2d(x, { size: 2 });
 * toArray(out);                                        // [4]
 * toArray(backward(fromArray([1, 1, 1, 1], [1])).x);   // [0, 1, 0, 0]
 */
export const maxPool2d = (
  x: Tensor,
  options: MaxPoolOptions,
): Op<Tensor, { readonly x: Tensor }> => {
  optionsBag('maxPool2d', 'options', options, '{ size, stride?, pad?, padValue?, kernels? }');
  const { size, stride = size, pad = padAll(0), padValue = -Infinity, kernels = jsKernels } = opArgs('maxPool2d', options, { x }, '{ size, stride?, pad?, padValue?, kernels? }');
  paddingOf('maxPool2d', 'options.pad', pad);
  expectRank('maxPool2d', 'input [n, h, w, c]', x.shape, 4);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  positiveInt('maxPool2d', 'size', size);
  positiveInt('maxPool2d', 'stride', stride);
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
