// The one shape every op has: its output and a backward closure (a
// vector-Jacobian product). `backward(dOut)` returns the cotangent of every
// differentiable input, named as the op names its inputs. The closure holds
// exactly what the backward needs and nothing global.

import type { Tensor } from '../core/tensor.ts';
import type { Kernels } from './kernels/types.ts';

/**
 * What every op returns: its output and a backward closure, the
 * vector-Jacobian product. `backward(dOut)` takes a cotangent shaped like
 * `out` (a number for a scalar loss: 1 gives the loss's own gradient) and
 * returns the cotangent of each differentiable input, named as the op names
 * its inputs. It may be called any number of times; it throws a ShapeError
 * when `dOut` is not shaped like `out`.
 */
export interface Op<Out, Grads> {
  /** The op's result. */
  readonly out: Out;
  /** d out / d input, transposed, times `dOut`, for every input; pure, like the op. */
  readonly backward: (dOut: Out) => Grads;
}

/**
 * The last argument of every op. `kernels` is the kernel set the op runs on;
 * left out, an op runs on `jsKernels` (plain TypeScript, any dtype). Layers
 * and everything that runs a network require it instead (see RunOptions in
 * {@link Layers.RunOptions}), so a network never falls back to it silently.
 */
export interface OpOptions {
  readonly kernels?: Kernels;
}

/** Integer class labels, one per example: 0..classes-1 (a plain array or a Uint8Array). */
export type Labels = ArrayLike<number>;

export type { Tensor };
