// Where a step's gradient comes from: computed in this thread, or split over
// worker threads (src/platform/data-parallel.ts). Both give the loss and gradient
// of the mean loss over the batch, and how many predictions were right.

import type { Tensor } from '../core/tensor.ts';
import { crossEntropyLoss, valueAndGrad, type Layer, type Loss, type Optimizer, type RunOptions, type Tree } from '../graph/index.ts';
import type { Labels } from '../ops/op.ts';
import type { Compiled } from '../compile/compile.ts';
import { argmaxRows } from './batches.ts';

/** A step's loss, gradient and right predictions over one batch. */
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

/** A step's loss and gradient, from anywhere (this thread, workers); `close` ends what it started. */
export interface GradientSource<P extends Tree> {
  /** The loss and gradient at `params` of the batch x [n, ...inShape] with its labels. */
  readonly grad: (params: P, x: Tensor, labels: Labels) => Promise<BatchGrad<P>>;
  /**
   * A whole step where the source can do it better than `grad` followed by
   * `optimizer.step` (workers that split the update too): the same numbers,
   * for an optimizer with `hyper` (the shipped ones). {@link fit} uses it
   * when present.
   */
  readonly step?: <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, x: Tensor, labels: Labels, lr: number) => Promise<BatchStep<P, S>>;
  /** The network's output at `params` (the logits), where the source can compute it (its workers); one call at a time, like `grad`. {@link fit} evaluates with it when present. */
  readonly predict?: (params: P, x: Tensor) => Promise<Tensor>;
  /** Ends what the source started (worker threads); call it once, when done. */
  readonly close: () => Promise<void>;
}

/** How many rows of `logits` have their largest value at the label. */
export const countCorrect = (logits: Tensor, labels: ArrayLike<number>): number => {
  const pred = argmaxRows(logits);
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c;
};

/**
 * Gradients computed in this thread: on the compiled network when given
 * (with its own loss), else on the kernel set given, the loss defaulting to
 * softmax cross-entropy.
 */
export const localGradients = <P extends Tree>(net: Layer<P>, options: RunOptions & { readonly loss?: Loss<Labels>; readonly compiled?: Compiled<P> }): GradientSource<P> => {
  const { compiled } = options;
  const vg = compiled?.valueAndGrad ?? valueAndGrad(net, { kernels: options.kernels, loss: options.loss ?? crossEntropyLoss });
  return {
    grad: (params, x, labels) => {
      const r = vg(params, { x, labels });
      return Promise.resolve({ loss: r.loss, correct: countCorrect(r.out, labels), grads: r.grads });
    },
    // Compiled, a whole step keeps the gradients in the heap.
    ...(compiled === undefined ? {} : {
      step: (optimizer, params, state, x, labels, lr) => {
        const r = compiled.step(optimizer, params, state, { x, labels }, lr);
        return Promise.resolve({ loss: r.loss, correct: countCorrect(r.out, labels), params: r.params, state: r.state });
      },
    }),
    close: () => Promise.resolve(),
  };
};
