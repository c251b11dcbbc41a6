// The backward pass of a serial pipeline made visible, layer by layer: for a
// batch and its labels, every layer's input and output beside dLoss/dOut,
// dLoss/dIn and dLoss/dParams, from the layers' own backward closures (the
// ones valueAndGrad runs). Used by the demo page and `explain --backward`.

import { inLayer } from '../core/shape.ts';
import type { Tensor } from '../core/tensor.ts';
import type { Labels } from '../ops/op.ts';
import { softmax } from '../ops/softmax.ts';
import type { Layer, RunOptions } from './layer.ts';
import { crossEntropyLoss } from './losses.ts';
import type { Serial, SerialParams } from './serial.ts';
import type { Tree } from './tree.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One layer of a {@link backwardTrace}: its forward values and its gradients. */
export interface LayerGradients {
  /** The layer's name in the pipeline. */
  readonly name: string;
  /** What the layer was given: the network's input or the previous layer's output. */
  readonly input: Tensor;
  /** What it gave, [n, ...outShape]. */
  readonly out: Tensor;
  /** dLoss/dOut: the cotangent the layer's backward received. */
  readonly dOut: Tensor;
  /** dLoss/dIn: what its backward passed down, shaped like `input`. */
  readonly dIn: Tensor;
  /** dLoss/dParams, shaped like the layer's parameter record (`{}` for a layer without). */
  readonly dParams: Tree;
}

/** What {@link backwardTrace} gives. */
export interface BackwardTrace<P extends Tree> {
  /** The softmax cross-entropy, the mean over the batch. */
  readonly loss: number;
  /** The network's output [n, classes]. */
  readonly logits: Tensor;
  /** softmax(logits), [n, classes]. */
  readonly probabilities: Tensor;
  /** dLoss/dlogits: (softmax - one-hot) / n. */
  readonly dLogits: Tensor;
  /** Every layer in network order. */
  readonly layers: readonly LayerGradients[];
  /** The gradient record: valueAndGrad's, leaf for leaf. */
  readonly grads: P;
}

/**
 * One forward and one backward pass of a serial classifier with the softmax
 * cross-entropy loss, keeping every layer's values and gradients. The
 * gradients are those of {@link Gradients.valueAndGrad} (the same closures run in the
 * same order), so `grads` equals its `grads` bit for bit. A ShapeError names
 * the layer that failed; the labels are checked as the loss checks them.
 *
 * @example
 * const net = seedNetwork();
 * const b = backwardTrace(net, net.init(key(0), MNIST_SHAPE), zeros([1, 28, 28, 1]), [7], { kernels: jsKernels });
 * b.layers.find((l) => l.name === 'relu2')!.dOut.shape;   // [1, 14, 14, 32]: dLoss/d(relu2's output)
 * b.layers[0]!.dParams;                                     // { w: [3, 3, 1, 16] }: dLoss/d(conv1's filters)
 */
export const backwardTrace = <L extends Record<string, AnyLayer>>(
  net: Serial<L>,
  params: SerialParams<L>,
  x: Tensor,
  labels: Labels,
  options: RunOptions,
): BackwardTrace<SerialParams<L>> => {
  let h = x;
  const forward = Object.entries(net.layers).map(([name, layer]) => {
    const input = h;
    // A layer without parameters may be missing from the record, as serial allows.
    const p = (params as Record<string, Tree | undefined>)[name] ?? {};
    const op = inLayer(name, () => layer.apply(p, input, options));
    h = op.out;
    return { name, input, op };
  });
  const loss = crossEntropyLoss(h, labels, options);
  const dLogits = loss.backward(1).out;
  const layers: LayerGradients[] = [];
  let d = dLogits;
  for (let i = forward.length - 1; i >= 0; i--) {
    const { name, input, op } = forward[i]!;
    const g = inLayer(name, () => op.backward(d));
    layers.unshift({ name, input, out: op.out, dOut: d, dIn: g.x, dParams: g.params });
    d = g.x;
  }
  const grads: Record<string, Tree> = {};
  for (const l of layers) grads[l.name] = l.dParams;
  return { loss: loss.out, logits: h, probabilities: softmax(h).out, dLogits, layers, grads: grads as SerialParams<L> };
};
