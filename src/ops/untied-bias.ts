// Untied bias (the reference's "addition" layer): one learnable value per
// position and channel, broadcast over the batch. x is [n, ...s], b is [...s].

import { expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

export const untiedBias = (x: Tensor, b: Tensor, { kernels = jsKernels }: OpOptions = {}): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
  expectSameShape('untiedBias', 'bias', b.shape, x.shape.slice(1));
  return {
    out: tensor(x.shape, kernels.addRows(x.data, b.data)),
    backward: (dy) => {
      expectSameShape('untiedBias backward', 'output gradient', dy.shape, x.shape);
      return { x: dy, b: tensor(b.shape, kernels.sumRows(dy.data, b.data.length)) };
    },
  };
};
