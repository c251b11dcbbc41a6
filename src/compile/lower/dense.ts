// The dense stage's rule: a dense layer with its ReLU fused, on the dense
// layer's own kernel calls (ops/dense-calls.ts, the ones the eager op runs).
// Forward: rows half to each thread. Backward: the mask and bias gradient,
// then the weight and input gradients, one per thread; at batch 1 under
// plain SGD, the backward pass and the update in one pass over the weights.

import { denseInputGradient, denseRows, denseWeightGradient, type DenseKernels } from '../../ops/dense-calls.ts';
import type { Emit } from '../calls.ts';
import type { Stage } from '../plan.ts';
import { halfOf, halves, slotsOf, splitAt, SPLIT_WORK, type BackwardPass, type LowerContext, type Rule } from './context.ts';
import { maskAndBias } from './mask-bias.ts';

type Dense = Extract<Stage, { kind: 'dense' }>;

/** The dense layer's kernels on heap offsets, for the thread `t` runs on. */
const onHeap = (t: Emit): DenseKernels<number> => ({
  fillRows: t.k.fillRows,
  gemm: (transA, transB, m, n, k, a, b, c, accumulate) => t.k.gemmAt(transA, transB, m, n, k, a, b, c, t.scratch.end, accumulate),
  after: (a, values) => a + values * 4,
});

const forward = (st: Dense, i: number, c: LowerContext, e: Emit): void => {
  const { w, b } = slotsOf(c, i);
  const { n, acts } = c.layout;
  const [x, y] = [acts[i]!, acts[i + 1]!];
  const rows = (t: Emit, r0: number, r1: number): void => {
    denseRows(onHeap(t), x, w!.at, b!.at, y, st.inputs, st.units, r0, r1);
    const at = y + r0 * st.units * 4;
    if (st.relu !== undefined) t.k.el.relu(at, at, (r1 - r0) * st.units);
  };
  if (e.helped && halves(halfOf(n), n) && n * st.inputs * st.units >= SPLIT_WORK) splitAt(e, halfOf(n), n, rows);
  else rows(e, 0, n);
};

const backward = (st: Dense, i: number, c: LowerContext, e: Emit, p: BackwardPass): number => {
  const { w, b } = slotsOf(c, i);
  const { n, acts, own } = c.layout;
  const x = acts[i]!;
  maskAndBias(e, st, b, acts[i + 1]!, p.d, n * st.units, st.units);
  if (p.step === 'sgd' && n === 1 && st.inputs % 4 === 0 && st.units % 4 === 0) {
    // Rows [r0, r1) of the weights (independent of each other); the learning rate is the step's (argument 6).
    const rows = (t: Emit, r0: number, r1: number): void =>
      t.withLr(6, (k) => k.denseSgdAt(w!.at + r0 * st.units * 4, x + r0 * 4, p.d, p.needDx ? p.dx + r0 * 4 : undefined, r1 - r0, st.units, 0));
    const half = halfOf(st.inputs, 4);
    if (e.helped && half > 0 && st.inputs * st.units >= SPLIT_WORK) splitAt(e, half, st.inputs, rows);
    else rows(e, 0, st.inputs);
    p.updated.add(own[i]!.w);
    return p.dx;
  }
  const weightGradient = (t: Emit): void => denseWeightGradient(onHeap(t), x, p.d, w!.gradAt, n, st.inputs, st.units);
  const inputGradient = (t: Emit): void => denseInputGradient(onHeap(t), p.d, w!.at, p.dx, n, st.inputs, st.units);
  if (p.needDx && e.helped && n * st.inputs * st.units >= SPLIT_WORK) e.split(inputGradient, weightGradient);
  else {
    if (p.needDx) inputGradient(e);
    weightGradient(e);
  }
  return p.dx;
};

export const denseRule: Rule<Dense> = { forward, backward };
