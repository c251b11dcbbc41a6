// Bias along the last axis: x is [..., c], b is [c].

import { expectDim, expectRank, expectSameShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import type { Op } from './op.ts';

export const bias = (x: Tensor, b: Tensor): Op<Tensor, { readonly x: Tensor; readonly b: Tensor }> => {
  expectRank('bias', 'bias', b.shape, 1);
  const c = b.shape[0]!;
  expectDim('bias', 'input last axis and bias', x.shape, x.shape[x.shape.length - 1] ?? -1, b.shape, c);
  const y = alloc(dtypeOf(x), x.data.length);
  for (let i = 0; i < y.length; i += c) for (let j = 0; j < c; j++) y[i + j] = x.data[i + j]! + b.data[j]!;
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('bias backward', 'output gradient', dy.shape, x.shape);
      const db = alloc(dtypeOf(x), c);
      for (let i = 0; i < dy.data.length; i += c) for (let j = 0; j < c; j++) db[j] += dy.data[i + j]!;
      return { x: dy, b: tensor(b.shape, db) };
    },
  };
};
