// Weights that are finite in the file can still overflow float32 in the
// forward pass (values near 3e38): every answer is then NaN. Inference names
// the first layer whose output is no longer finite instead of printing a NaN
// loss or made-up probabilities.

import { trace, type SeedNetwork, type SeedParams } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import type { Tensor } from '../core/tensor.ts';

/** Why `params` give no answer for input `x`, naming the first layer that overflowed; null if every output is finite. */
export const overflowIn = (net: SeedNetwork, params: SeedParams, x: Tensor, kernels: Kernels): string | null => {
  const bad = trace(net, params, x, { kernels }).find((o) => o.out.data.some((v) => !Number.isFinite(v)));
  return bad === undefined ? null
    : `the weights overflow float32: layer ${bad.name}'s output is not finite (infinite or NaN); the file holds finite but unusable values`;
};
