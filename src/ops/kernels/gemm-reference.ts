// The obvious triple loop, kept as the oracle every faster GEMM is tested against.

import type { Data } from '../../core/tensor.ts';
import type { Gemm } from './types.ts';

export const gemmReference: Gemm = (transA, transB, m, n, k, a, b, c, accumulate) => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      (c as Data)[i * n + j] = accumulate ? c[i * n + j]! + s : s;
    }
  }
};
