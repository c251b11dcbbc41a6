// Dense layer: y = x · w + b, with x [n, k], w [k, m], b [m].

import { opArgs } from '../core/check.ts';
import { expectDim, expectRank, expectSameShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Data, type Tensor } from '../core/tensor.ts';
import { denseInputGradient, denseRows, denseWeightGradient, type DenseKernels } from './dense-calls.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/**
 * Fully connected: y = x · w + b for x [n, k], w [k, m] (a row per input, a
 * column per output) and b [m]; out [n, m]. `backward(dy)` gives
 * `{ x, w, b }`, b's summed over the batch. Returns fresh arrays of x's
 * dtype and never writes its inputs.
 *
 * Throws a ShapeError when x or w is not rank 2, x's columns are not w's
 * rows, or b is not [m].
 *
 * @example
 * const x = fromArray([1, 2], [1, 2]);
 * const w = fromArray([2, 3], [1, 0, 1, 0, 1, 1]);
 * const { out, backward } = ops.dense(x, w, fromArray([3], [0, 0, 10]));
 * toArray(out);                                           // [1, 2, 13]
 * toArray(backward(fromArray([1, 3], [1, 1, 1])).x);      // [2, 2]
 */
export const dense = (
  x: Tensor,
  w: Tensor,
  b: Tensor,
  options: OpOptions = {},
): Op<Tensor, { readonly x: Tensor; readonly w: Tensor; readonly b: Tensor }> => {
  const { kernels = jsKernels } = opArgs('dense', options, { x, w, b });
  expectRank('dense', 'input [n, k]', x.shape, 2);
  expectRank('dense', 'weights [k, m]', w.shape, 2);
  const [n, k] = x.shape as [number, number];
  const m = w.shape[1]!;
  expectDim('dense', 'input and weights', x.shape, k, w.shape, w.shape[0]!);
  expectSameShape('dense', 'bias', b.shape, [m]);
  const dtype = dtypeOf(x);
  const onArrays: DenseKernels<Data> = {
    fillRows: (yr, row, rows, width) => {
      for (let r = 0; r < rows; r++) yr.set(row as Float32Array, r * width);
    },
    gemm: kernels.gemm as DenseKernels<Data>['gemm'],
    after: (a, values) => (values === 0 ? a : a.subarray(values)),
  };
  const y = alloc(dtype, n * m);
  denseRows(onArrays, x.data, w.data, b.data, y, k, m, 0, n);
  return {
    out: tensor([n, m], y),
    backward: (dy) => {
      expectSameShape('dense backward', 'output gradient', dy.shape, [n, m]);
      const dx = alloc(dtype, n * k);
      denseInputGradient(onArrays, dy.data, w.data, dx, n, k, m);
      const dw = alloc(dtype, k * m);
      denseWeightGradient(onArrays, x.data, dy.data, dw, n, k, m);
      const db = alloc(dtype, m);
      for (let i = 0; i < dy.data.length; i += m) for (let j = 0; j < m; j++) db[j] += dy.data[i + j]!;
      return { x: tensor(x.shape, dx), w: tensor(w.shape, dw), b: tensor(b.shape, db) };
    },
  };
};
