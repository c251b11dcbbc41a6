// The one shape every op has: its output and a backward closure (a
// vector-Jacobian product). `backward(dOut)` returns the cotangent of every
// differentiable input, named as the op names its inputs. The closure holds
// exactly what the backward needs and nothing global.

import type { Tensor } from '../core/tensor.ts';
import type { Kernels } from './kernels/types.ts';

export interface Op<Out, Grads> {
  readonly out: Out;
  readonly backward: (dOut: Out) => Grads;
}

/**
 * The last argument of every op. `kernels` is the kernel set the op runs on;
 * left out, an op runs on `jsKernels` (plain TypeScript, any dtype). Layers
 * and everything that runs a network require it instead (see RunOptions in
 * graph/layer.ts), so a network never falls back to it silently.
 */
export interface OpOptions {
  readonly kernels?: Kernels;
}

/** Integer class labels, one per example. */
export type Labels = ArrayLike<number>;

export type { Tensor };
