// Loss and gradient of a network on a batch, in one forward and one backward.

import type { Tensor } from '../core/tensor.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmaxCrossEntropy } from '../ops/cross-entropy.ts';
import type { Labels } from '../ops/op.ts';
import type { Layer } from './layer.ts';
import type { Tree } from './tree.ts';

export interface Batch {
  /** [n, ...inShape] */
  readonly x: Tensor;
  readonly labels: Labels;
}

export interface LossAndGrad<P extends Tree> {
  /** Mean softmax cross-entropy over the batch. */
  readonly loss: number;
  readonly grads: P;
  readonly logits: Tensor;
}

export const valueAndGrad =
  <P extends Tree>(net: Layer<P>, kernels?: Kernels) =>
  (params: P, batch: Batch): LossAndGrad<P> => {
    const fwd = net.apply(params, batch.x, kernels);
    const loss = softmaxCrossEntropy(fwd.out, batch.labels);
    const grads = fwd.backward(loss.backward(1).logits).params;
    return { loss: loss.out, grads, logits: fwd.out };
  };

/** Logits only, for evaluation: no backward is kept beyond this call. */
export const predictLogits = <P extends Tree>(net: Layer<P>, params: P, x: Tensor, kernels?: Kernels): Tensor =>
  net.apply(params, x, kernels).out;
