// The one shape every op has: its output and a backward closure (a
// vector-Jacobian product). `backward(dOut)` returns the cotangent of every
// differentiable input, named as the op names its inputs. The closure holds
// exactly what the backward needs and nothing global.

import type { Tensor } from '../core/tensor.ts';

export interface Op<Out, Grads> {
  readonly out: Out;
  readonly backward: (dOut: Out) => Grads;
}

/** Integer class labels, one per example. */
export type Labels = ArrayLike<number>;

export type { Tensor };
