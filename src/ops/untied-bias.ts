// Untied bias (the reference's "addition" layer): one learnable value per
// position and channel, broadcast over the batch. x is [n, ...s], b is [...s].

import { expectSameShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import type { Op } from './op.ts';

export const untiedBias = (x: Tensor, b: Tensor): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
  expectSameShape('untiedBias', 'bias', b.shape, x.shape.slice(1));
  const m = b.data.length;
  const y = alloc(dtypeOf(x), x.data.length);
  for (let i = 0; i < y.length; i += m) for (let j = 0; j < m; j++) y[i + j] = x.data[i + j]! + b.data[j]!;
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('untiedBias backward', 'output gradient', dy.shape, x.shape);
      const db = alloc(dtypeOf(x), m);
      for (let i = 0; i < dy.data.length; i += m) for (let j = 0; j < m; j++) db[j] += dy.data[i + j]!;
      return { x: dy, b: tensor(b.shape, db) };
    },
  };
};
