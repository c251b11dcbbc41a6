// ReLU. At exactly 0 the gradient is taken as 0, as in the reference.

import { expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

export const relu = (x: Tensor, { kernels = jsKernels }: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  const y = kernels.relu(x.data);
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('relu backward', 'output gradient', dy.shape, x.shape);
      return { x: tensor(x.shape, kernels.reluBackward(y, dy.data)) };
    },
  };
};
