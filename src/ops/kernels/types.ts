// The kernel interface the ops run on. A kernel set is a plain value passed to
// the ops (no global backend switch): the plain TypeScript set is the oracle,
// faster sets (blocked JS, WASM SIMD) swap in behind the same ops.

import type { Data } from '../../core/tensor.ts';

/**
 * Row-major matrix product: C = op(A) · op(B), or C += op(A) · op(B) when
 * `accumulate`. op(A) is [m, k]: A is stored [m, k], or [k, m] when `transA`.
 * op(B) is [k, n]: B is stored [k, n], or [n, k] when `transB`. C is [m, n].
 * A, B and C are dense (no leading-dimension strides); use subarray for views.
 * A kernel writes only into C.
 */
export type Gemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Readonly<Data>,
  b: Readonly<Data>,
  c: Data,
  accumulate: boolean,
) => void;

export interface Kernels {
  readonly name: string;
  readonly gemm: Gemm;
}
