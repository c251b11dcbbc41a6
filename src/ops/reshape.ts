// Reshape and flatten (the reference's "vectorization"). The data is shared,
// which is safe because no op ever writes into a tensor it did not allocate.

import { expectSameShape, ShapeError, showShape } from '../core/shape.ts';
import { sizeOf, type Shape, type Tensor } from '../core/tensor.ts';
import type { Op, OpOptions } from './op.ts';

export const reshapeOp = (x: Tensor, shape: Shape, _options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> => {
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

/** [n, ...rest] -> [n, product(rest)]. */
export const flatten = (x: Tensor, options: OpOptions = {}): Op<Tensor, { readonly x: Tensor }> =>
  reshapeOp(x, [x.shape[0] ?? 1, sizeOf(x.shape.slice(1))], options);
