// Weights that are finite in the file can still overflow float32 in the
// forward pass (values near 3e38): every answer is then NaN. Inference names
// the first layer whose output is no longer finite instead of printing a NaN
// loss or made-up probabilities.

import { trace, type Layer, type Serial, type Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import type { Tensor } from '../core/tensor.ts';

/** Why `params` give no answer for input `x`, naming the first layer that overflowed; null if every output is finite. */
export const overflowIn = (net: Layer<Tree>, params: Tree, x: Tensor, kernels: Kernels): string | null => {
  // A serial network layer by layer (naming the layer); any other as a whole.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const layers = (net as Partial<Serial<Record<string, Layer<any>>>>).layers;
  const outs = layers !== undefined ? trace(net as Serial<typeof layers>, params as never, x, { kernels }) : [{ name: 'output', out: net.apply(params, x, { kernels }).out }];
  const bad = outs.find((o) => o.out.data.some((v) => !Number.isFinite(v)));
  return bad === undefined ? null
    : `the weights overflow float32: layer ${bad.name}'s output is not finite (infinite or NaN); the file holds finite but unusable values`;
};
