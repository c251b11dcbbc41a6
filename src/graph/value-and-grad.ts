// Loss and gradient of a network on a batch, in one forward and one
// backward; and the forward alone, for prediction.

import { batchArg, layerArg, runOptions } from '../core/check.ts';
import type { Tensor } from '../core/tensor.ts';
import type { Labels } from '../ops/op.ts';
import type { Layer, RunOptions } from './layer.ts';
import { checkedLoss, crossEntropyLoss, type Loss } from './losses.ts';
import type { Tree } from './tree.ts';

/** A batch: inputs [n, ...inShape] and what the loss compares the outputs with. */
export interface Batch<T = Labels> {
  readonly x: Tensor;
  /** Class indices for the cross-entropy (the default loss); whatever the loss takes otherwise. */
  readonly labels: T;
}

/** What the function of {@link Gradients.valueAndGrad} gives for one batch. */
export interface LossAndGrad<P extends Tree> {
  /** The loss, averaged over the batch as the loss defines it. */
  readonly loss: number;
  /** d loss / d params: a record shaped like the parameters. */
  readonly grads: P;
  /** The network's output (the logits, for a classifier). */
  readonly out: Tensor;
}

export interface ValueAndGradOptions<T> extends RunOptions {
  /** Default: softmax cross-entropy of the logits with integer labels. */
  readonly loss?: Loss<T>;
}

/**
 * The loss of `net` on a batch and its gradient with respect to every
 * parameter, as a function of (params, batch): one forward, one backward.
 * The loss is the mean over the batch (softmax cross-entropy of the logits
 * unless `loss` says otherwise), so the gradient is the mean's. The kernel
 * set is required: without it this throws an `ArgumentError` rather
 * than run on the slow kernels. The function refuses a batch of no examples
 * (its mean is 0 / 0); shape and label errors are thrown as the ops throw
 * them.
 *
 * @example
 * const net = serial({ fc: layers.dense({ units: 3 }) });
 * const params = net.init(key(0), [4]);
 * const vg = valueAndGrad(net, { kernels: jsKernels });
 * const { loss, grads } = vg(params, { x: fromArray([1, 4], [1, 2, 3, 4]), labels: [2] });
 */
export const valueAndGrad = <P extends Tree, T = Labels>(net: Layer<P>, options: ValueAndGradOptions<T>): ((params: P, batch: Batch<T>) => LossAndGrad<P>) => {
  layerArg('valueAndGrad', 'net', net);
  runOptions('valueAndGrad', options, '{ kernels, loss? }');
  const loss = (options.loss === undefined ? crossEntropyLoss : checkedLoss('valueAndGrad', options.loss)) as Loss<T>;
  const run: RunOptions = { kernels: options.kernels };
  return (params, batch) => {
    batchArg('valueAndGrad', batch);
    const fwd = net.apply(params, batch.x, run);
    const l = loss(fwd.out, batch.labels, run);
    const grads = fwd.backward(l.backward(1).out).params;
    return { loss: l.out, grads, out: fwd.out };
  };
};

/**
 * The network's output alone (the logits, for a classifier): no backward is
 * kept beyond this call. Throws an `ArgumentError` without a kernel
 * set, and a ShapeError naming the layer for parameters of another network.
 */
export const predict = <P extends Tree>(net: Layer<P>, params: P, x: Tensor, options: RunOptions): Tensor => {
  layerArg('predict', 'net', net);
  runOptions('predict', options);
  return net.apply(params, x, options).out;
};
