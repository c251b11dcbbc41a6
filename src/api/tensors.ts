/**
 * Tensors: an n-dimensional array as a shape and a flat typed array, never
 * changed after it is made; the random keys that make every initialisation
 * and shuffle reproducible; and the `Result` that fallible calls return.
 * Import them from `mnist-cnn-ts`.
 *
 * @module Tensors
 */

export {
  tensor, fromArray, zeros, zerosLike, toArray, astype, reshape, sizeOf, dtypeOf, copyData,
  type Tensor, type Shape, type DType, type Data,
} from '../core/tensor.ts';
export { ShapeError } from '../core/shape.ts';
export { ArgumentError } from '../core/check.ts';
export { key, split, foldIn, normal, uniform, permutation, type Key } from '../core/random.ts';
export type { Result, Success, Failure } from '../core/result.ts';
