// Tensors: a shape plus typed data, immutable from the outside.
// float32 is what training uses; float64 exists so that gradient checks can be
// exact. Every op allocates its outputs with the dtype of its inputs.

import { allocating, ArgumentError, describeValue, shapeOf } from './check.ts';

/** The element type of a tensor: float32 for training, float64 for exact gradient checks. */
export type DType = 'float32' | 'float64';
/** A tensor's values in row-major order (the last axis varies fastest); its array type is its dtype. */
export type Data = Float32Array | Float64Array;
/**
 * Dimension sizes, outermost first: [n, h, w, c] for a batch of NHWC maps,
 * [kh, kw, cin, cout] (HWIO) for conv filters. [] is a scalar's shape.
 */
export type Shape = readonly number[];

/**
 * A shape plus typed data: `{ shape, data }`, nothing else. Treat it as
 * immutable. No function of the library writes into a tensor it did not
 * allocate, so tensors may share data (reshape and flatten do).
 */
export interface Tensor {
  /** Dimension sizes; their product is `data.length`. */
  readonly shape: Shape;
  /** Readonly so that no caller writes into an op's input by accident. */
  readonly data: Readonly<Data>;
}

/** 'float64' for Float64Array data, else 'float32'. */
export const dtypeOf = (t: Tensor): DType => (t.data instanceof Float64Array ? 'float64' : 'float32');

export const alloc = (dtype: DType, n: number): Data =>
  dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);

/** How many values a shape holds: the product of its dimensions (1 for []). */
export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

const dtypeArg = (fn: string, dtype: unknown): DType => {
  if (dtype !== 'float32' && dtype !== 'float64') throw new ArgumentError(`${fn}: dtype must be 'float32' or 'float64', got ${describeValue(dtype)}`);
  return dtype;
};

/**
 * A tensor over `data` as it is: no copy, so the caller must not write into
 * `data` afterwards. Throws an `ArgumentError` when `shape` is not an
 * array of non-negative integers, `data` not a Float32Array or
 * Float64Array, or `data.length` not the shape's size.
 */
export const tensor = (shape: Shape, data: Data): Tensor => {
  shapeOf('tensor', 'shape', shape);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new ArgumentError(`tensor: data must be a Float32Array or a Float64Array, got ${describeValue(data)}`);
  }
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new ArgumentError(`tensor: shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  }
  return { shape: [...shape], data };
};

/**
 * A tensor of `shape` filled with zeros, float32 unless `dtype` says
 * otherwise. Throws an `ArgumentError` for a shape that is not an
 * array of non-negative integers, or too large to allocate.
 */
export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => {
  const n = sizeOf(shapeOf('zeros', 'shape', shape));
  const d = dtypeArg('zeros', dtype);
  return tensor(shape, allocating('zeros', `a ${d} tensor of shape [${shape.join(', ')}]`, n, d === 'float64' ? 8 : 4, () => alloc(d, n)));
};

/**
 * A tensor of `shape` holding a copy of `values` in row-major order, float32
 * unless `dtype` says otherwise. Throws an `ArgumentError` when the
 * number of values is not the shape's size.
 *
 * @example
 * const x = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);   // 2 rows of 3
 * toArray(x);                                        // [1, 2, 3, 4, 5, 6]
 */
export const fromArray = (shape: Shape, values: ArrayLike<number>, dtype: DType = 'float32'): Tensor => {
  shapeOf('fromArray', 'shape', shape);
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new ArgumentError(`fromArray: values must be an array of numbers, got ${describeValue(values)}`);
  }
  const data = alloc(dtypeArg('fromArray', dtype), values.length);
  data.set(values as ArrayLike<number>);
  return tensor(shape, data);
};

/** A tensor with the same shape and dtype as `t`, filled with zeros. */
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape, dtypeOf(t));

/** A fresh, writable copy of the data of `t`. */
export const copyData = (t: Tensor): Data => (t.data as Data).slice();

/** `t` itself when it has that dtype already, else a converted copy (float64 to float32 rounds). */
export const astype = (t: Tensor, dtype: DType): Tensor => {
  if (dtypeOf(t) === dtype) return t;
  const data = alloc(dtype, t.data.length);
  data.set(t.data as Data);
  return tensor(t.shape, data);
};

/**
 * The same data under another shape, no copy (the op with a backward is
 * `ops.reshapeOp`). Throws an `ArgumentError` when the sizes differ.
 */
export const reshape = (t: Tensor, shape: Shape): Tensor => {
  if (sizeOf(shapeOf('reshape', 'shape', shape)) !== t.data.length) {
    throw new ArgumentError(`reshape: cannot view [${t.shape.join(', ')}] as [${shape.join(', ')}]`);
  }
  return { shape: [...shape], data: t.data };
};

/**
 * The values of `t` as a plain array, in row-major order.
 *
 * @example
 * toArray(fromArray([2, 2], [1, 2, 3, 4]));   // [1, 2, 3, 4]
 */
export const toArray = (t: Tensor): number[] => Array.from(t.data);

/** Float32 tensors of the same row shape, one after another along the first axis, in a fresh tensor. */
export const concatRows = (parts: readonly Tensor[]): Tensor => {
  const data = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p.data, o);
    o += p.data.length;
  }
  return tensor([parts.reduce((s, p) => s + p.shape[0]!, 0), ...parts[0]!.shape.slice(1)], data);
};
