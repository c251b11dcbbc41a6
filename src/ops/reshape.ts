// Reshape and flatten (the reference's "vectorization"). The data is shared,
// which is safe because no op ever writes into a tensor it did not allocate.

import { opArgs, shapeOf } from '../core/check.ts';
import { expectSameShape, ShapeError, showShape } from '../core/shape.ts';
import { sizeOf, type Shape, type Tensor } from '../core/tensor.ts';
import type { Op, OpOptions } from './op.ts';

/**
 * x's values under another shape, in the same row-major order. Nothing is
 * copied: the output shares x's data and `backward(dy)` gives `{ x }`
 * sharing dy's (safe, since no op writes into a tensor it did not
 * allocate). `kernels` is accepted and unused.
 *
 * Throws a ShapeError when the sizes differ.
 *
 * @example
 * const { out, backward } = ops.reshapeOp(fromArray([2, 3], [1, 2, 3, 4, 5, 6]), [3, 2]);
 * out.shape;                                                 // [3, 2]
 * backward(fromArray([3, 2], [1, 2, 3, 4, 5, 6])).x.shape;   // [2, 3]
 */
export const reshapeOp = (x: Tensor, shape: Shape, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  opArgs('reshape', options, { x });
  shapeOf('reshape', 'shape', shape);
  if (sizeOf(shape) !== x.data.length) {
    throw new ShapeError(`reshape: cannot view ${showShape(x.shape)} as ${showShape(shape)}`);
  }
  const outShape = [...shape];
  return {
    out: { shape: outShape, data: x.data },
    backward: (dy) => {
      expectSameShape('reshape backward', 'output gradient', dy.shape, outShape);
      return { x: { shape: x.shape, data: dy.data } };
    },
  };
};

/**
 * [n, ...rest] -> [n, product(rest)]: one row per example, its values in
 * row-major order (h, w, c for an NHWC map). A view, like
 * {@link reshapeOp}: nothing is copied. `kernels` is accepted and unused.
 *
 * @example
 * const { out, backward } = ops.flatten(fromArray([2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
 * out.shape;                                                         // [2, 4]
 * backward(fromArray([2, 4], [1, 2, 3, 4, 5, 6, 7, 8])).x.shape;     // [2, 1, 2, 2]
 */
export const flatten = (x: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
  opArgs('flatten', options, { x });
  return reshapeOp(x, [x.shape[0] ?? 1, sizeOf(x.shape.slice(1))], options);
};
