// ReLU. At exactly 0 the gradient is taken as 0, as in the reference.

import { expectSameShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import type { Op } from './op.ts';

export const relu = (x: Tensor): Op<Tensor, { readonly x: Tensor }> => {
  const y = alloc(dtypeOf(x), x.data.length);
  for (let i = 0; i < y.length; i++) {
    const v = x.data[i]!;
    y[i] = v > 0 ? v : 0;
  }
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('relu backward', 'output gradient', dy.shape, x.shape);
      const dx = alloc(dtypeOf(x), y.length);
      for (let i = 0; i < dx.length; i++) dx[i] = y[i]! > 0 ? dy.data[i]! : 0;
      return { x: tensor(x.shape, dx) };
    },
  };
};
