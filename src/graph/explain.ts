// Looking inside a network for one input: the output of every layer of a
// serial pipeline (feature maps, pooled maps), and saliency: the gradient of
// one class's logit with respect to the input pixels, from the network's own
// backward closures. Used by the `explain` command and the demo page.

import { ArgumentError } from '../core/check.ts';
import type { Tensor } from '../core/tensor.ts';
import { alloc, dtypeOf, tensor } from '../core/tensor.ts';
import { inLayer } from '../core/shape.ts';
import type { Layer, RunOptions } from './layer.ts';
import type { Serial, SerialParams } from './serial.ts';
import type { Tree } from './tree.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One layer's output in a {@link trace}. */
export interface LayerOutput {
  /** The layer's name in the pipeline. */
  readonly name: string;
  /** [n, ...outShape] */
  readonly out: Tensor;
}

/**
 * Runs a serial pipeline on x [n, ...inShape] layer by layer and gives every
 * layer's output, in order; the last is the network's (the logits, for a
 * classifier). A ShapeError names the layer that failed.
 *
 * @example
 * const net = seedNetwork();
 * const outs = trace(net, net.init(key(0), MNIST_SHAPE), zeros([1, 28, 28, 1]), { kernels: jsKernels });
 * outs.map((o) => o.name);                  // ['conv1', 'add1', 'relu1', 'pool1', ..., 'dense2']
 * outs[3]!.out.shape;                       // [1, 14, 14, 16]: pool1's maps
 */
export const trace = <L extends Record<string, AnyLayer>>(
  net: Serial<L>,
  params: SerialParams<L>,
  x: Tensor,
  options: RunOptions,
): readonly LayerOutput[] => {
  const outs: LayerOutput[] = [];
  let h = x;
  for (const [name, layer] of Object.entries(net.layers)) {
    h = inLayer(name, () => layer.apply(params[name as keyof L], h, options).out);
    outs.push({ name, out: h });
  }
  return outs;
};

/** What {@link saliency} gives. */
export interface Saliency {
  /** The network's output [n, classes]. */
  readonly logits: Tensor;
  /** d logit[cls] / d input, the input's shape: one map per example. */
  readonly gradient: Tensor;
}

/**
 * The gradient of logit `cls` of every example with respect to its input.
 * The cotangent is one-hot at `cls`, so one backward pass gives it for the
 * whole batch (examples do not interact). `net` must give [n, classes];
 * throws a RangeError when `cls` is not in 0..classes-1.
 */
export const saliency = <P extends Tree>(net: Layer<P>, params: P, x: Tensor, cls: number, options: RunOptions): Saliency => {
  const fwd = net.apply(params, x, options);
  const [n, classes] = fwd.out.shape as [number, number];
  if (!(Number.isInteger(cls) && cls >= 0 && cls < classes)) throw new ArgumentError(`saliency: class ${cls} is not in 0..${classes - 1}`);
  const dy = alloc(dtypeOf(fwd.out), n * classes);
  for (let i = 0; i < n; i++) dy[i * classes + cls] = 1;
  return { logits: fwd.out, gradient: fwd.backward(tensor([n, classes], dy)).x };
};
