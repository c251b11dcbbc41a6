// One plain SGD step on one batch (the demo page's "teach it this digit" and
// `explain --backward`'s update report): the gradient from valueAndGrad, the
// step from the library's sgd, and what the step changed.

import type { Tensor } from '../core/tensor.ts';
import { tensor } from '../core/tensor.ts';
import type { Labels } from '../ops/op.ts';
import type { Layer, RunOptions } from './layer.ts';
import { crossEntropyLoss } from './losses.ts';
import { sgd } from './optimizers/index.ts';
import { zipTrees, type Tree } from './tree.ts';
import { predict, valueAndGrad } from './value-and-grad.ts';

/** What {@link sgdStep} gives. */
export interface SgdStep<P extends Tree> {
  /** The parameters after the step (those passed in are untouched). */
  readonly params: P;
  /** new - old, leaf by leaf: -lr · dLoss/dp as the float32 step rounded it. */
  readonly update: P;
  /** dLoss/dp before the step. */
  readonly grads: P;
  /** Loss and logits before the step. */
  readonly before: { readonly loss: number; readonly logits: Tensor };
  /** Loss and logits after it, on the same batch. */
  readonly after: { readonly loss: number; readonly logits: Tensor };
}

/**
 * One step p ← p − lr · dLoss/dp on one batch with the library's own
 * {@link Gradients.valueAndGrad} (softmax cross-entropy) and {@link Optimizers.sgd}, with the
 * loss and logits before and after it and the update as a record shaped
 * like the parameters.
 *
 * @example
 * const net = seedNetwork();
 * const params = net.init(key(0), MNIST_SHAPE);
 * const s = sgdStep(net, params, { x: zeros([1, 28, 28, 1]), labels: [3] }, 0.01, { kernels: jsKernels });
 * s.after.loss < s.before.loss;   // true: a small step down the gradient lowers this image's loss
 */
export const sgdStep = <P extends Tree>(net: Layer<P>, params: P, batch: { readonly x: Tensor; readonly labels: Labels }, lr: number, options: RunOptions): SgdStep<P> => {
  const vg = valueAndGrad(net, options)(params, batch);
  const next = sgd().step(params, vg.grads, {}, { lr, kernels: options.kernels }).params;
  const update = zipTrees<P>([next, params], ([a, b]) => {
    const d = new Float64Array(a!.data.length);
    for (let i = 0; i < d.length; i++) d[i] = a!.data[i]! - b!.data[i]!;
    return tensor(a!.shape, a!.data instanceof Float64Array ? d : Float32Array.from(d));
  });
  const logits = predict(net, next, batch.x, options);
  return {
    params: next,
    update,
    grads: vg.grads,
    before: { loss: vg.loss, logits: vg.out },
    after: { loss: crossEntropyLoss(logits, batch.labels, options).out, logits },
  };
};
