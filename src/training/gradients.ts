// Where a step's gradient comes from: computed in this thread, or split over
// worker threads (src/platform/data-parallel.ts). Both give the loss and gradient
// of the mean loss over the batch, and how many predictions were right.

import type { Tensor } from '../core/tensor.ts';
import { valueAndGrad, type Layer, type Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { argmaxRows } from './batches.ts';

export interface BatchGrad<P extends Tree> {
  readonly loss: number;
  readonly correct: number;
  readonly grads: P;
}

export interface GradientSource<P extends Tree> {
  readonly grad: (params: P, x: Tensor, labels: Uint8Array) => Promise<BatchGrad<P>>;
  readonly close: () => Promise<void>;
}

export const countCorrect = (logits: Tensor, labels: ArrayLike<number>): number => {
  const pred = argmaxRows(logits);
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c;
};

export const localGradients = <P extends Tree>(net: Layer<P>, kernels: Kernels): GradientSource<P> => {
  const vg = valueAndGrad(net, kernels);
  return {
    grad: (params, x, labels) => {
      const r = vg(params, { x, labels });
      return Promise.resolve({ loss: r.loss, correct: countCorrect(r.logits, labels), grads: r.grads });
    },
    close: () => Promise.resolve(),
  };
};
