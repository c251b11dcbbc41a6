// A register-blocked GEMM in plain TypeScript: the portable fast path.
// Operands are packed so the inner loop always walks A by rows and B by rows;
// a 4x4 block of C stays in 16 locals while k runs.

import type { Data } from '../../core/tensor.ts';
import type { Gemm } from './types.ts';

const transpose = (src: Readonly<Data>, rows: number, cols: number): Data => {
  const out = new (src.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
};

// Fewer than 4 rows (a dense layer at batch 1): walk B as it is stored, so
// the large weight matrix is never copied. C[i, :] += A[i, p] * B[p, :], or
// C[i, j] = <A[i, :], B[j, :]> when B is stored transposed.
const fewRows = (transB: boolean, m: number, n: number, k: number, a: Readonly<Data>, b: Readonly<Data>, c: Data, accumulate: boolean): void => {
  for (let i = 0; i < m; i++) {
    const row = i * n;
    const ar = i * k;
    if (transB) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0, bp = j * k; p < k; p++) s += a[ar + p]! * b[bp + p]!;
        c[row + j] = accumulate ? c[row + j]! + s : s;
      }
      continue;
    }
    if (!accumulate) c.fill(0, row, row + n);
    for (let p = 0; p < k; p++) {
      const av = a[ar + p]!;
      if (av !== 0) for (let j = 0, bp = p * n; j < n; j++) c[row + j] += av * b[bp + j]!;
    }
  }
};

export const gemmJs: Gemm = (transA, transB, m, n, k, a0, b0, c, accumulate) => {
  // A as [m, k] row-major, B as [k, n] row-major.
  const a = transA ? transpose(a0, k, m) : a0;
  if (m < 4) return fewRows(transB, m, n, k, a, b0, c, accumulate);
  const b = transB ? transpose(b0, n, k) : b0;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0r = i * k, a1r = a0r + k, a2r = a1r + k, a3r = a2r + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, bp = j; p < k; p++, bp += n) {
        const b0v = b[bp]!, b1v = b[bp + 1]!, b2v = b[bp + 2]!, b3v = b[bp + 3]!;
        const x0 = a[a0r + p]!, x1 = a[a1r + p]!, x2 = a[a2r + p]!, x3 = a[a3r + p]!;
        c00 += x0 * b0v; c01 += x0 * b1v; c02 += x0 * b2v; c03 += x0 * b3v;
        c10 += x1 * b0v; c11 += x1 * b1v; c12 += x1 * b2v; c13 += x1 * b3v;
        c20 += x2 * b0v; c21 += x2 * b1v; c22 += x2 * b2v; c23 += x2 * b3v;
        c30 += x3 * b0v; c31 += x3 * b1v; c32 += x3 * b2v; c33 += x3 * b3v;
      }
      const r0 = i * n + j, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      if (accumulate) {
        c[r0] += c00; c[r0 + 1] += c01; c[r0 + 2] += c02; c[r0 + 3] += c03;
        c[r1] += c10; c[r1 + 1] += c11; c[r1 + 2] += c12; c[r1 + 3] += c13;
        c[r2] += c20; c[r2 + 1] += c21; c[r2 + 2] += c22; c[r2 + 3] += c23;
        c[r3] += c30; c[r3 + 1] += c31; c[r3 + 2] += c32; c[r3 + 3] += c33;
      } else {
        c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
        c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
        c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
        c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
      }
    }
  }
  // Edges: the last m % 4 rows (all columns) and the last n % 4 columns.
  const edge = (i0: number, i1: number, j0: number, j1: number): void => {
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        let s = 0;
        for (let p = 0, ap = i * k, bp = j; p < k; p++, bp += n) s += a[ap + p]! * b[bp]!;
        c[i * n + j] = accumulate ? c[i * n + j]! + s : s;
      }
    }
  };
  edge(0, m4, n4, n);
  edge(m4, m, 0, n);
};
