// Linear ops satisfy <A x, y> = <x, A^T y>: the backward closure is the
// transpose of the forward, checked for conv (in x and in w) and dense.

import { describe, expect, it } from 'vitest';
import { zeros, type Tensor } from '../src/core/tensor.ts';
import { conv2d, dense, jsKernels, padAll, referenceKernels } from '../src/ops/index.ts';
import { randn } from './helpers.ts';

const inner = (a: Tensor, b: Tensor): number => {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s;
};

describe('adjoint identities', () => {
  for (const kernels of [referenceKernels, jsKernels]) {
    it(`conv2d (${kernels.name}), stride 2, asymmetric padding`, () => {
      const x = randn([2, 7, 6, 3], 31);
      const w = randn([3, 2, 3, 4], 32);
      const op = conv2d(x, w, { stride: 2, pad: { top: 1, bottom: 0, left: 2, right: 1 }, kernels });
      const y = randn(op.out.shape, 33);
      const g = op.backward(y);
      const lhs = inner(op.out, y);
      expect(inner(x, g.x)).toBeCloseTo(lhs, 10);
      expect(inner(w, g.w)).toBeCloseTo(lhs, 10);
    });
  }

  it('dense (zero bias)', () => {
    const x = randn([4, 9], 34);
    const w = randn([9, 5], 35);
    const op = dense(x, w, zeros([5], 'float64'));
    const y = randn([4, 5], 36);
    const g = op.backward(y);
    expect(inner(x, g.x)).toBeCloseTo(inner(op.out, y), 10);
    expect(inner(w, g.w)).toBeCloseTo(inner(op.out, y), 10);
  });

  it('conv2d 1x1 equals a dense layer per position', () => {
    const x = randn([1, 2, 2, 3], 37);
    const w = randn([1, 1, 3, 2], 38);
    const c = conv2d(x, w, { pad: padAll(0) }).out;
    const d = dense({ shape: [4, 3], data: x.data }, { shape: [3, 2], data: w.data }, zeros([2], 'float64')).out;
    expect(Array.from(c.data)).toEqual(Array.from(d.data));
  });
});
