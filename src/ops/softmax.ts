// Softmax and log-softmax along the last axis, both shifted by the row
// maximum so that large logits cannot overflow.

import { opArgs } from '../core/check.ts';
import { expectSameShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Data, type Tensor } from '../core/tensor.ts';
import type { Op, OpOptions } from './op.ts';

const lastAxis = (x: Tensor): number => x.shape[x.shape.length - 1] ?? 1;

/** Writes log-softmax of each row of `x` into `out`. */
export const logSoftmaxRows = (x: Readonly<Data>, c: number, out: Data): void => {
  for (let r = 0; r < x.length; r += c) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, x[r + j]!);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(x[r + j]! - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < c; j++) out[r + j] = x[r + j]! - lse;
  }
};

/**
 * Softmax along the last axis: each row becomes probabilities that sum to
 * 1. Computed from the log-softmax, shifted by the row maximum, so large
 * logits cannot overflow. `backward(dy)` gives `{ x }`. Returns fresh arrays
 * of x's dtype and never writes its inputs; `kernels` is accepted and
 * unused.
 *
 * @example
 * const { out } = ops.softmax(fromArray([2, 2], [0, 0, 1000, 1000]));
 * toArray(out);                                        // [0.5, 0.5, 0.5, 0.5]: no overflow
 */
export const softmax = (x: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  opArgs('softmax', options, { x });
  const c = lastAxis(x);
  const y = alloc(dtypeOf(x), x.data.length);
  logSoftmaxRows(x.data, c, y);
  for (let i = 0; i < y.length; i++) y[i] = Math.exp(y[i]!);
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('softmax backward', 'output gradient', dy.shape, x.shape);
      const dx = alloc(dtypeOf(x), y.length);
      for (let r = 0; r < y.length; r += c) {
        let dot = 0;
        for (let j = 0; j < c; j++) dot += dy.data[r + j]! * y[r + j]!;
        for (let j = 0; j < c; j++) dx[r + j] = y[r + j]! * (dy.data[r + j]! - dot);
      }
      return { x: tensor(x.shape, dx) };
    },
  };
};

/**
 * log(softmax(x)) along the last axis, as x minus the row's log-sum-exp
 * (shifted by the row maximum): finite for large logits, and never the log
 * of an underflowed 0. `backward(dy)` gives `{ x }`. Returns fresh arrays of
 * x's dtype and never writes its inputs; `kernels` is accepted and unused.
 *
 * @example
 * const { out } = ops.logSoftmax(fromArray([1, 2], [0, -1000]));
 * toArray(out);                                        // [0, -1000]; log(softmax) would give -Infinity
 */
export const logSoftmax = (x: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  opArgs('logSoftmax', options, { x });
  const c = lastAxis(x);
  const y = alloc(dtypeOf(x), x.data.length);
  logSoftmaxRows(x.data, c, y);
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('logSoftmax backward', 'output gradient', dy.shape, x.shape);
      const dx = alloc(dtypeOf(x), y.length);
      for (let r = 0; r < y.length; r += c) {
        let sum = 0;
        for (let j = 0; j < c; j++) sum += dy.data[r + j]!;
        for (let j = 0; j < c; j++) dx[r + j] = dy.data[r + j]! - Math.exp(y[r + j]!) * sum;
      }
      return { x: tensor(x.shape, dx) };
    },
  };
};
