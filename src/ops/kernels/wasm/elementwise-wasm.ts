// The elementwise kernels on elementwise/*.wat (f32x4 SIMD), on the kernel
// set's heap: operands are copied in with TypedArray.set, updated in place
// there, and copied out with slice (which also gives the fresh output array).
// Float64 data, and pool pad values that float32 cannot hold, take the
// TypeScript loops.

import type { Data } from '../../../core/tensor.ts';
import { elementwiseJs } from '../elementwise-js.ts';
import type { AdamHyper, Elementwise, WindowGeometry } from '../types.ts';
import type { Heap } from './heap.ts';
import { instantiate, isShared } from './instantiate.ts';
import { moduleBytes } from './modules.ts';
import { maxPoolBackImages, maxPoolImages } from './pool-calls.ts';

export interface ElementwiseExports {
  readonly relu: (x: number, y: number, n: number) => void;
  readonly relu_back: (y: number, dy: number, dx: number, n: number) => void;
  readonly add_rows: (x: number, b: number, y: number, rows: number, m: number) => void;
  readonly sum_rows: (dy: number, db: number, rows: number, m: number) => void;
  /**
   * y[r*m + j] = relu(x[r*m + j] + b[j]) for `rows` rows of length m: `add_rows` then `relu`
   * in one pass, bit for bit (NaN and -0 give 0). y may be x.
   */
  readonly add_rows_relu: (x: number, b: number, y: number, rows: number, m: number) => void;
  /**
   * dx[r*m + j] = y[r*m + j] > 0 ? dy[r*m + j] : 0 and db[j] += dx[r*m + j], rows in order:
   * `relu_back` then `sum_rows` in one pass, bit for bit. The caller zeroes db; dx may be dy.
   */
  readonly relu_back_sum: (y: number, dy: number, dx: number, db: number, rows: number, m: number) => void;
  readonly unroll: (img: number, cols: number, gather: number, ...g: number[]) => void;
  /** Direct convolution of one-channel images (o % 4 == 0); g without c: n, h, w, kh, kw, stride, padTop, padLeft, ho, wo, then o. */
  readonly conv_c1: (x: number, w: number, y: number, ...g: number[]) => void;
  /**
   * conv_c1 with the bias added (`untied`: b is [ho, wo, o], one per output value of an image; else [o])
   * and, when `relu` is 1, the ReLU: conv_c1 then add_rows or add_rows_relu, bit for bit, in one pass.
   * g as for conv_c1, then untied (0 or 1) and relu (0 or 1).
   */
  readonly conv_c1_bias: (x: number, w: number, b: number, y: number, ...g: number[]) => void;
  /**
   * The filter gradient of `conv_c1`, directly (o % 4 == 0): x [n, h, w, 1], dy [n, ho, wo, o],
   * dw [kh, kw, 1, o], overwritten; g as for conv_c1: n, h, w, kh, kw, stride, padTop, padLeft,
   * ho, wo, then o. Equal to im2col + GEMM to float32 rounding (the sums run in another order).
   */
  readonly conv_c1_back_w: (x: number, dy: number, dw: number, ...g: number[]) => void;
  readonly max_pool: (x: number, y: number, am: number, ...g: number[]) => void;
  readonly max_pool_back: (am: number, dy: number, dx: number, count: number) => void;
  readonly sgd: (p: number, g: number, n: number, lr: number) => void;
  readonly momentum: (p: number, v: number, g: number, n: number, mu: number, lr: number) => void;
  readonly adam: (p: number, m: number, v: number, g: number, n: number, ...h: number[]) => void;
  /**
   * Winograd F(4x4, 3x3) (elementwise/winograd.wat): the transformed tiles of n images [h, w, c] into
   * v [36][n ty tx][c], planes ds bytes apart, kind 0 the input's 6x6 tiles (padding top, left), kind 1
   * an output gradient's 4x4 tiles; tmp holds (4 ty + 2)(4 tx + 2) c floats.
   */
  readonly wino_tiles: (x: number, v: number, ds: number, n: number, h: number, w: number, c: number, top: number, left: number, ty: number, tx: number, tmp: number, kind: number) => void;
  /** The output [n, ho, wo, o] of the products m [36][n ty tx][o] (planes ss bytes apart); tmp holds 16 ty tx o floats. */
  readonly wino_output: (m: number, ss: number, y: number, n: number, ho: number, wo: number, o: number, ty: number, tx: number, tmp: number) => void;
  /** The transformed filters [36][c][o] of w [3, 3, c, o], or when flip those of the flipped, transposed filters, [36][o][c]; tmp 36 floats. */
  readonly wino_filter: (w: number, u: number, c: number, o: number, flip: number, tmp: number) => void;
  /** The filter gradient [3, 3, c, o] of the summed products du [36][c][o]. */
  readonly wino_filter_back: (du: number, dw: number, c: number, o: number) => void;
}

const f32 = (...xs: readonly Readonly<Data>[]): boolean => xs.every((x) => x instanceof Float32Array);

/** One Adam step on n values at heap offsets, in place: the float32 arguments every caller passes (the kernel set, compiled steps, workers). */
export const adamAt = (wasm: Pick<ElementwiseExports, 'adam'>, p: number, m: number, v: number, g: number, n: number, h: AdamHyper): void =>
  wasm.adam(p, m, v, g, n, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.c1, h.c2, h.eps, h.lr);
export const geometryArgs = (g: WindowGeometry): number[] => [g.n, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo];

export const createWasmElementwise = (heap: Heap): { readonly kernels: Elementwise; readonly raw: ElementwiseExports } => {
  const wasm = instantiate(moduleBytes('elementwise', { shared: isShared(heap.memory) }), heap.memory) as ElementwiseExports;
  const layout = heap.layout;
  const put = (x: Readonly<Data>, off: number): void => heap.f32().set(x as Float32Array, off >> 2);
  const take = (off: number, n: number): Float32Array => heap.f32().slice(off >> 2, (off >> 2) + n);
  const fill0 = (off: number, n: number): void => void heap.f32().fill(0, off >> 2, (off >> 2) + n);
  const onHeap = { el: wasm, zero: fill0 };

  const kernels: Elementwise = {
    relu: (x) => {
      if (!f32(x)) return elementwiseJs.relu(x);
      const [xo] = layout(x.length) as [number];
      put(x, xo);
      wasm.relu(xo, xo, x.length);
      return take(xo, x.length);
    },
    reluBackward: (y, dy) => {
      if (!f32(y, dy)) return elementwiseJs.reluBackward(y, dy);
      const [yo, dyo] = layout(y.length, y.length) as [number, number];
      put(y, yo);
      put(dy, dyo);
      wasm.relu_back(yo, dyo, dyo, y.length);
      return take(dyo, y.length);
    },
    addRows: (x, b) => {
      if (!f32(x, b) || b.length === 0) return elementwiseJs.addRows(x, b);
      const [xo, bo] = layout(x.length, b.length) as [number, number];
      put(x, xo);
      put(b, bo);
      wasm.add_rows(xo, bo, xo, Math.ceil(x.length / b.length), b.length);
      return take(xo, x.length);
    },
    sumRows: (dy, m) => {
      if (!f32(dy) || m === 0) return elementwiseJs.sumRows(dy, m);
      const [dyo, dbo] = layout(dy.length, m) as [number, number];
      put(dy, dyo);
      fill0(dbo, m);
      wasm.sum_rows(dyo, dbo, Math.ceil(dy.length / m), m);
      return take(dbo, m);
    },
    im2col: (g, image) => {
      if (!f32(image)) return elementwiseJs.im2col(g, image);
      const n = g.n * g.ho * g.wo * g.kh * g.kw * g.c;
      const [io, co] = layout(image.length, n) as [number, number];
      put(image, io);
      wasm.unroll(io, co, 1, ...geometryArgs(g));
      return take(co, n);
    },
    col2im: (g, cols) => {
      if (!f32(cols)) return elementwiseJs.col2im(g, cols);
      const n = g.n * g.h * g.w * g.c;
      const [io, co] = layout(n, cols.length) as [number, number];
      put(cols, co);
      fill0(io, n);
      wasm.unroll(io, co, 0, ...geometryArgs(g));
      return take(io, n);
    },
    maxPool: (g, x, padValue) => {
      if (!f32(x) || Math.fround(padValue) !== padValue) return elementwiseJs.maxPool(g, x, padValue);
      const n = g.n * g.ho * g.wo * g.c;
      const [xo, yo, ao] = layout(x.length, n, n) as [number, number, number];
      put(x, xo);
      maxPoolImages(onHeap, g, xo, yo, ao, padValue, 0, g.n);
      return { y: take(yo, n), argmax: heap.i32().slice(ao >> 2, (ao >> 2) + n) };
    },
    maxPoolBackward: (argmax, dy, xLength) => {
      if (!f32(dy)) return elementwiseJs.maxPoolBackward(argmax, dy, xLength);
      const [ao, dyo, dxo] = layout(argmax.length, argmax.length, xLength) as [number, number, number];
      heap.i32().set(argmax, ao >> 2);
      put(dy.length === argmax.length ? dy : dy.subarray(0, argmax.length), dyo);
      // The whole batch as one call: its argmax indexes the whole input.
      maxPoolBackImages(onHeap, xLength, argmax.length, ao, dyo, dxo, 0, 1);
      return take(dxo, xLength);
    },
    sgd: (p, g, lr) => {
      if (!f32(p, g)) return elementwiseJs.sgd(p, g, lr);
      const [po, go] = layout(p.length, p.length) as [number, number];
      put(p, po);
      put(g, go);
      wasm.sgd(po, go, p.length, lr);
      return take(po, p.length);
    },
    momentum: (p, v, g, mu, lr) => {
      if (!f32(p, v, g)) return elementwiseJs.momentum(p, v, g, mu, lr);
      const n = p.length;
      const [po, vo, go] = layout(n, n, n) as [number, number, number];
      put(p, po);
      put(v, vo);
      put(g, go);
      wasm.momentum(po, vo, go, n, mu, lr);
      return { p: take(po, n), v: take(vo, n) };
    },
    adam: (p, m, v, g, h) => {
      if (!f32(p, m, v, g)) return elementwiseJs.adam(p, m, v, g, h);
      const n = p.length;
      const [po, mo, vo, go] = layout(n, n, n, n) as [number, number, number, number];
      put(p, po);
      put(m, mo);
      put(v, vo);
      put(g, go);
      adamAt(wasm, po, mo, vo, go, n, h);
      return { p: take(po, n), m: take(mo, n), v: take(vo, n) };
    },
  };
  return { kernels, raw: wasm };
};
