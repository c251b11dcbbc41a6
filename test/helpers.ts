// Inputs for the tests: float64 tensors whose entries are all distinct and
// far (relative to the finite-difference step) from each other and from 0,
// so max-pool ties and ReLU kinks cannot fool a gradient check.

import { key as makeKey, normal, permutation } from '../src/core/random.ts';
import { expect } from 'vitest';
import { leaves, type Tree } from '../src/graph/tree.ts';
import { sizeOf, tensor, type Data, type Shape, type Tensor } from '../src/core/tensor.ts';

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

/** The bytes of an array, copied. */
export const bits = (a: Readonly<Data> | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

/** Asserts the same type, length and bytes (bit for bit, -0 and NaN payloads included). */
export const same = (got: Readonly<Data> | Int32Array, want: Readonly<Data> | Int32Array): void => {
  expect(got.constructor).toBe(want.constructor);
  expect(got.length).toBe(want.length);
  const g = bits(got), w = bits(want);
  let first = -1;
  for (let i = 0; i < g.length && first < 0; i++) if (g[i] !== w[i]) first = i;
  expect(first, first < 0 ? '' : `first difference at element ${first >> 2}: ${got[first >> 2]} vs ${want[first >> 2]}`).toBe(-1);
};

/** A small seeded generator of uniform numbers in [0, 1) (mulberry32), for test data independent of the library's own random. */
export const rng = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Every leaf of two records, byte for byte (fast on large arrays), with the same paths, shapes and top-level keys. */
export const expectSameTree = (got: Tree, want: Tree): void => {
  expect(leaves(got).map(([p]) => p)).toEqual(leaves(want).map(([p]) => p));
  const w = new Map(leaves(want));
  for (const [p, t] of leaves(got)) {
    expect(t.shape, p).toEqual(w.get(p)!.shape);
    same(t.data, w.get(p)!.data);
  }
  expect(JSON.stringify(Object.keys(got))).toBe(JSON.stringify(Object.keys(want)));
};
