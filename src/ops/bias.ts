// Bias along the last axis: x is [..., c], b is [c].

import { expectDim, expectRank, expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

export const bias = (x: Tensor, b: Tensor, { kernels = jsKernels }: OpOptions = {}): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
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
