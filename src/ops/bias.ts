// Bias along the last axis: x is [..., c], b is [c].

import { opArgs } from '../core/check.ts';
import { expectDim, expectRank, expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/**
 * Bias along the last axis: x [..., c] plus b [c], the same c values at
 * every position of every example. `backward(dy)` gives `{ x, b }`: x's is
 * dy itself (shared, not copied), b's is dy summed over every axis but the
 * last. The output is a fresh array; the inputs are never written.
 *
 * Throws a ShapeError when b is not rank 1 or its length is not x's last
 * dimension.
 *
 * @example
 * const x = fromArray([2, 2], [1, 2, 3, 4]);
 * const { out, backward } = ops.bias(x, fromArray([2], [10, 20]));
 * toArray(out);                                           // [11, 22, 13, 24]
 * toArray(backward(fromArray([2, 2], [1, 2, 3, 4])).b);   // [4, 6]
 */
export const bias = (x: Tensor, b: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
  const { kernels = jsKernels } = opArgs('bias', options, { x, b });
  expectRank('bias', 'bias', b.shape, 1);
  const c = b.shape[0]!;
  expectDim('bias', 'input last axis and bias', x.shape, x.shape[x.shape.length - 1] ?? -1, b.shape, c);
  return {
    out: tensor(x.shape, kernels.addRows(x.data, b.data)),
    backward: (dy) => {
      expectSameShape('bias backward', 'output gradient', dy.shape, x.shape);
      return { x: dy, b: tensor(b.shape, kernels.sumRows(dy.data, c)) };
    },
  };
};
