// Where a training step is computed: the one interface fit, the CLI, the page
// and the benchmark run every step, gradient and prediction through, whatever
// does the work. eagerSource runs the eager ops on a kernel set,
// compiledSource a compiled network (with its kernel helper, if it has one);
// the data-parallel workers (src/parallel/source.ts) are a third. Each gives
// the same numbers as the eager ops on its kernel set.

import type { Tensor } from '../core/tensor.ts';
import { crossEntropyLoss, valueAndGrad, type Layer, type Loss, type Optimizer, type Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import type { Labels } from '../ops/op.ts';
import type { Compiled } from '../compile/compile.ts';
import { argmaxRows } from './batches.ts';

/** A batch's loss, gradient and right predictions. */
export interface BatchGrad<P extends Tree> {
  /** The mean loss over the batch. */
  readonly loss: number;
  /** Examples whose largest output is at their label. */
  readonly correct: number;
  /** The gradient of the mean loss, shaped like the parameters. */
  readonly grads: P;
}

/** A whole step's loss, right predictions, and the parameters and optimizer state after it. */
export interface BatchStep<P extends Tree, S extends Tree> {
  readonly loss: number;
  readonly correct: number;
  readonly params: P;
  readonly state: S;
}

/**
 * What computes a network's steps, gradients and outputs: this thread's
 * eager ops ({@link eagerSource}), a compiled network
 * ({@link compiledSource}), or worker threads (`workerGradients`,
 * `parallelGradients`). One call at a time; `close` ends what it started.
 */
export interface Source<P extends Tree> {
  /** The kernel set it runs on: eager stages, the optimizer of a step it cannot take whole, and evaluation's defaults. */
  readonly kernels: Kernels;
  /**
   * A whole training step on the batch x [n, ...inShape] with its labels:
   * the loss at `params` and the optimizer's new parameters and state,
   * what `valueAndGrad` then `optimizer.step(..., { lr, kernels })` give,
   * bit for bit.
   */
  readonly step: <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, x: Tensor, labels: Labels, lr: number) => Promise<BatchStep<P, S>>;
  /** The loss, right predictions and gradient at `params` of the batch x with its labels. */
  readonly valueAndGrad: (params: P, x: Tensor, labels: Labels) => Promise<BatchGrad<P>>;
  /** The network's output at `params` (the logits). */
  readonly predict: (params: P, x: Tensor) => Promise<Tensor>;
  /** Ends what the source started (worker threads); call it once, when done. */
  readonly close: () => Promise<void>;
}

/**
 * How many rows of `logits` have their largest value at the label.
 *
 * @example
 * countCorrect(tensor([2, 2], Float32Array.of(1, 0, 0, 1)), [0, 0]);   // 1
 */
export const countCorrect = (logits: Tensor, labels: ArrayLike<number>): number => {
  const pred = argmaxRows(logits);
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c;
};

/**
 * The eager ops of `net` on `kernels`, in this thread: valueAndGrad then
 * the optimizer's step; the loss defaults to softmax cross-entropy.
 *
 * @example
 * const source = eagerSource(net, { kernels: jsKernels });
 * const { loss, params, state } = await source.step(adam(), params0, state0, x, labels, 1e-3);
 */
export const eagerSource = <P extends Tree>(net: Layer<P>, options: { readonly kernels: Kernels; readonly loss?: Loss<Labels> }): Source<P> => {
  const { kernels, loss = crossEntropyLoss } = options;
  const vg = valueAndGrad(net, { kernels, loss });
  const valueAndGradOf = (params: P, x: Tensor, labels: Labels): BatchGrad<P> & { readonly out: Tensor } => {
    const r = vg(params, { x, labels });
    return { loss: r.loss, correct: countCorrect(r.out, labels), grads: r.grads, out: r.out };
  };
  return {
    kernels,
    step: async (optimizer, params, state, x, labels, lr) => {
      const g = valueAndGradOf(params, x, labels);
      return { loss: g.loss, correct: g.correct, ...optimizer.step(params, g.grads, state, { lr, kernels }) };
    },
    valueAndGrad: async (params, x, labels) => {
      const { loss: l, correct, grads } = valueAndGradOf(params, x, labels);
      return { loss: l, correct, grads };
    },
    predict: async (params, x) => net.apply(params, x, { kernels }).out,
    close: async () => {},
  };
};

/**
 * A compiled network ({@link Compile.compile}, with a kernel helper when it was
 * given one): whole steps keep the gradients in its heap. The eager ops'
 * numbers on its kernel set, bit for bit, sooner.
 *
 * @example
 * const source = compiledSource(compile(net));
 * const r = await fit({ net, optimizer, source, ...rest }, initialState(params, optimizer));
 */
export const compiledSource = <P extends Tree>(compiled: Compiled<P>): Source<P> => ({
  kernels: compiled.kernels,
  step: async (optimizer, params, state, x, labels, lr) => {
    const r = compiled.step(optimizer, params, state, { x, labels }, lr);
    return { loss: r.loss, correct: countCorrect(r.out, labels), params: r.params, state: r.state };
  },
  valueAndGrad: async (params, x, labels) => {
    const r = compiled.valueAndGrad(params, { x, labels });
    return { loss: r.loss, correct: countCorrect(r.out, labels), grads: r.grads };
  },
  predict: async (params, x) => compiled.predict(params, x),
  close: async () => {},
});
