// Untied bias (the reference's "addition" layer): one learnable value per
// position and channel, broadcast over the batch. x is [n, ...s], b is [...s].

import { opArgs } from '../core/check.ts';
import { expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/**
 * Untied bias: x [n, ...s] plus b [...s], one value per position and
 * channel (b is [h, w, c] for NHWC maps), the same for every example. The
 * reference's "addition" layer. `backward(dy)` gives `{ x, b }`: x's is dy
 * itself (shared, not copied), b's is dy summed over the batch. The output
 * is a fresh array; the inputs are never written.
 *
 * Throws a ShapeError when b's shape is not x's without the batch axis.
 *
 * @example
 * const x = fromArray([2, 1, 2, 1], [1, 2, 3, 4]);       // two 1x2 maps, one channel
 * const { out, backward } = ops.untiedBias(x, fromArray([1, 2, 1], [10, 20]));
 * toArray(out);                                           // [11, 22, 13, 24]
 * toArray(backward(fromArray([2, 1, 2, 1], [1, 2, 3, 4])).b);   // [4, 6]
 */
export const untiedBias = (x: Tensor, b: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
  const { kernels = jsKernels } = opArgs('untiedBias', options, { x, b });
  expectSameShape('untiedBias', 'bias', b.shape, x.shape.slice(1));
  return {
    out: tensor(x.shape, kernels.addRows(x.data, b.data)),
    backward: (dy) => {
      expectSameShape('untiedBias backward', 'output gradient', dy.shape, x.shape);
      return { x: dy, b: tensor(b.shape, kernels.sumRows(dy.data, b.data.length)) };
    },
  };
};
