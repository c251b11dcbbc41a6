// Inputs for the tests: float64 tensors whose entries are all distinct and
// far (relative to the finite-difference step) from each other and from 0,
// so max-pool ties and ReLU kinks cannot fool a gradient check.

import { key as makeKey, normal, permutation } from '../src/core/random.ts';
import { sizeOf, tensor, type Shape, type Tensor } from '../src/core/tensor.ts';

export const distinct = (shape: Shape, seed = 1): Tensor => {
  const n = sizeOf(shape);
  const p = permutation(makeKey(seed), n);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = ((p[i]! + 0.5) / n) * 2 - 1; // in (-1, 1), gaps of 2/n, never 0
  return tensor(shape, data);
};

export const randn = (shape: Shape, seed = 2, dtype: 'float32' | 'float64' = 'float64'): Tensor => {
  const z = normal(makeKey(seed), sizeOf(shape));
  return tensor(shape, dtype === 'float64' ? z : Float32Array.from(z));
};

/** A byte-for-byte snapshot of a tensor's data, to prove nothing wrote to it. */
export const snapshot = (t: Tensor): Uint8Array =>
  new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
