// Convolution as im2col + GEMM, on any GEMM and unroll kernels: the plain
// sets use it as is. The backward pass unrolls the input again instead of
// keeping the forward's unrolled matrix (nine times the input for 3x3
// filters) alive between the passes; unrolling costs a copy, GEMM dominates.

import { like } from './like.ts';
import type { Convolution, Elementwise, Gemm } from './types.ts';

export const convByIm2col = (gemm: Gemm, unroll: Pick<Elementwise, 'im2col' | 'col2im'>): Convolution => ({
  convForward: (g, x, w, o) => {
    const rows = g.n * g.ho * g.wo;
    const cols = unroll.im2col(g, x);
    const y = like(x, rows * o);
    gemm(false, false, rows, o, g.kh * g.kw * g.c, cols, w, y, false);
    return y;
  },
  convBackward: (g, x, w, dy, o) => {
    const rows = g.n * g.ho * g.wo;
    const k = g.kh * g.kw * g.c;
    const cols = unroll.im2col(g, x);
    const dw = like(x, k * o);
    gemm(true, false, k, o, rows, cols, dy, dw, false);
    const dcols = like(x, rows * k);
    gemm(false, true, rows, k, o, dy, w, dcols, false);
    return { dx: unroll.col2im(g, dcols), dw };
  },
});
