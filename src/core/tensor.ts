// Tensors: a shape plus typed data, immutable from the outside.
// float32 is what training uses; float64 exists so that gradient checks can be
// exact. Every op allocates its outputs with the dtype of its inputs.

export type DType = 'float32' | 'float64';
export type Data = Float32Array | Float64Array;
export type Shape = readonly number[];

export interface Tensor {
  readonly shape: Shape;
  /** Readonly so that no caller writes into an op's input by accident. */
  readonly data: Readonly<Data>;
}

export const dtypeOf = (t: Tensor): DType => (t.data instanceof Float64Array ? 'float64' : 'float32');

export const alloc = (dtype: DType, n: number): Data =>
  dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const tensor = (shape: Shape, data: Data): Tensor => {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new RangeError(`tensor: shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  }
  return { shape: [...shape], data };
};

export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => tensor(shape, alloc(dtype, sizeOf(shape)));

export const fromArray = (shape: Shape, values: ArrayLike<number>, dtype: DType = 'float32'): Tensor => {
  const data = alloc(dtype, values.length);
  data.set(values as ArrayLike<number>);
  return tensor(shape, data);
};

/** A tensor with the same shape and dtype as `t`, filled with zeros. */
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape, dtypeOf(t));

/** A fresh, writable copy of the data of `t`. */
export const copyData = (t: Tensor): Data => (t.data as Data).slice();

export const astype = (t: Tensor, dtype: DType): Tensor => {
  if (dtypeOf(t) === dtype) return t;
  const data = alloc(dtype, t.data.length);
  data.set(t.data as Data);
  return tensor(t.shape, data);
};

export const reshape = (t: Tensor, shape: Shape): Tensor => {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(`reshape: cannot view [${t.shape.join(', ')}] as [${shape.join(', ')}]`);
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
