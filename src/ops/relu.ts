// ReLU. At exactly 0 the gradient is taken as 0, as in the reference.

import { opArgs } from '../core/check.ts';
import { expectSameShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/**
 * ReLU, max(x, 0), elementwise over any shape (NaN gives 0). `backward(dy)`
 * gives `{ x }`: dy where the output is positive, 0 elsewhere (at exactly 0
 * too, as the reference). Returns fresh arrays of x's dtype and never writes
 * its inputs.
 *
 * @example
 * const { out, backward } = ops.relu(fromArray([4], [-2, 0, 1, 3]));
 * toArray(out);                                        // [0, 0, 1, 3]
 * toArray(backward(fromArray([4], [5, 6, 7, 8])).x);   // [0, 0, 7, 8]
 */
export const relu = (x: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  const { kernels = jsKernels } = opArgs('relu', options, { x });
  const y = kernels.relu(x.data);
  return {
    out: tensor(x.shape, y),
    backward: (dy) => {
      expectSameShape('relu backward', 'output gradient', dy.shape, x.shape);
      return { x: tensor(x.shape, kernels.reluBackward(y, dy.data)) };
    },
  };
};
