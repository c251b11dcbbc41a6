// A dense layer's kernel calls, written once for the eager op (ops/dense.ts,
// on arrays and any kernel set) and a compiled network
// (src/compile/lower/dense.ts, on heap offsets): where the operands live is
// the only difference, so the sequence takes how to reach them.

/** The two kernels a dense layer needs, on operands of type A (arrays, or heap offsets). */
export interface DenseKernels<A> {
  /** Copies the row of m values at b into each of `rows` rows at y. */
  readonly fillRows: (y: A, b: A, rows: number, m: number) => void;
  /** C = op(A) op(B), or C += when accumulating (the kernel set's Gemm). */
  readonly gemm: (transA: boolean, transB: boolean, m: number, n: number, k: number, a: A, b: A, c: A, accumulate: boolean) => void;
  /** The operand `values` values further on than `a`. */
  readonly after: (a: A, values: number) => A;
}

/** Rows [r0, r1) of y = x · w + b, x [n, inputs], w [inputs, units]: the bias first, then the product added to it. */
export const denseRows = <A>(k: DenseKernels<A>, x: A, w: A, b: A, y: A, inputs: number, units: number, r0: number, r1: number): void => {
  const yr = k.after(y, r0 * units);
  k.fillRows(yr, b, r1 - r0, units);
  k.gemm(false, false, r1 - r0, units, inputs, k.after(x, r0 * inputs), w, yr, true);
};

/** dx = dy · wᵀ for n rows. */
export const denseInputGradient = <A>(k: DenseKernels<A>, dy: A, w: A, dx: A, n: number, inputs: number, units: number): void =>
  k.gemm(false, true, n, inputs, units, dy, w, dx, false);

/** dw = xᵀ · dy over n rows. */
export const denseWeightGradient = <A>(k: DenseKernels<A>, x: A, dy: A, dw: A, n: number, inputs: number, units: number): void =>
  k.gemm(true, false, inputs, units, n, x, dy, dw, false);
