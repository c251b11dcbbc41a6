// GEMM on the f32x4 micro-kernel in gemm.wat, and the WASM kernel set that
// puts it together with the elementwise and convolution kernels on one heap.
// Float64 operands (gradient checks only) fall back to the JS kernels.

import { gemmJs } from '../gemm-js.ts';
import type { Gemm, Kernels } from '../types.ts';
import { createWasmConv } from './conv-wasm.ts';
import { createWasmElementwise } from './elementwise-wasm.ts';
import { createHeap, type Heap } from './heap.ts';
import { heapKernels } from './heap-kernels.ts';
import { instantiate, isShared, validates } from './instantiate.ts';
import { moduleBytes } from './modules.ts';

interface GemmExports {
  /** Bytes of scratch `gemm` needs for these sizes. */
  readonly workspace: (m: number, n: number, k: number) => number;
  /** C = op(A) op(B) (+ C when acc); byte offsets into the heap; m, n, k >= 1. */
  readonly gemm: (
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, b: number, c: number, ws: number, acc: number,
  ) => void;
  readonly dense_sgd1: (w: number, x: number, d: number, dx: number, rows: number, cols: number, lr: number, wantDx: number) => void;
}

/**
 * A dense layer's backward pass and SGD step at batch 1 on the heap (byte
 * offsets), in one pass over its weights w [rows, cols] (both multiples of
 * 4): dx = w dy from the old weights (unless dx is undefined), then
 * w -= lr x dy^T; each number as gemmAt and the elementwise sgd compute it.
 */
export type DenseSgdAt = (w: number, x: number, dy: number, dx: number | undefined, rows: number, cols: number, lr: number) => void;

/** GEMM on operands already in the heap (byte offsets), C += when accumulating; scratch is laid out after `end`. */
export type GemmAt = (transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, b: number, c: number, end: number, accumulate: boolean) => void;

export interface WasmGemm {
  readonly gemm: Gemm;
  readonly gemmAt: GemmAt;
  readonly denseSgdAt: DenseSgdAt;
  /** Bytes of scratch gemmAt needs for these sizes. */
  readonly workspace: (m: number, n: number, k: number) => number;
}

export const createWasmGemm = (heap: Heap, fma = false): WasmGemm => {
  const wasm = instantiate(moduleBytes('gemm', { fma, shared: isShared(heap.memory) }), heap.memory) as GemmExports;

  const gemmAt: GemmAt = (transA, transB, m, n, k, a, b, c, end, accumulate) => {
    const ws = (end + 63) & ~63;
    heap.layout((ws + wasm.workspace(m, n, k)) / 4);
    wasm.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, b, c, ws, accumulate ? 1 : 0);
  };

  const gemm: Gemm = (transA, transB, m, n, k, a, b, c, accumulate) => {
    if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
      gemmJs(transA, transB, m, n, k, a, b, c, accumulate);
      return;
    }
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) c.fill(0, 0, m * n);
      return;
    }
    const [aOff, bOff, cOff, wsOff] = heap.layout(m * k, k * n, m * n, wasm.workspace(m, n, k) / 4) as [number, number, number, number];
    const f32 = heap.f32();
    f32.set(a.length === m * k ? a : a.subarray(0, m * k), aOff >> 2);
    f32.set(b.length === k * n ? b : b.subarray(0, k * n), bOff >> 2);
    if (accumulate) f32.set(c.length === m * n ? c : c.subarray(0, m * n), cOff >> 2);
    wasm.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, aOff, bOff, cOff, wsOff, accumulate ? 1 : 0);
    c.set(f32.subarray(cOff >> 2, (cOff >> 2) + m * n));
  };
  const denseSgdAt: DenseSgdAt = (w, x, dy, dx, rows, cols, lr) => wasm.dense_sgd1(w, x, dy, dx ?? 0, rows, cols, lr, dx === undefined ? 0 : 1);
  return { gemm, gemmAt, denseSgdAt, workspace: wasm.workspace };
};

/**
 * Whether this runtime has relaxed SIMD, so the GEMM can use fused
 * multiply-adds: Node 22 and later and Chromium do; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 */
export const hasRelaxedSimd = (): boolean => validates(moduleBytes('gemm', { fma: true }));

/** How {@link createWasmKernels} builds its GEMM. */
export interface WasmKernelOptions {
  /**
   * Fused multiply-adds (f32x4.relaxed_madd) in the GEMM's micro-kernels:
   * by default when the runtime has relaxed SIMD. `true` where it has not
   * throws; `false` keeps the plain SIMD module (mul + add), whose results do
   * not depend on the CPU.
   */
  readonly fma?: boolean;
  /**
   * Winograd F(4x4, 3x3) for the convolutions it applies to (3x3 filters at
   * stride 1, channels multiples of 4, images of 5x5 or more): about 2.25x
   * fewer multiplications for float32 rounding a little larger than the
   * direct convolution's (docs/internals.md). Default false: direct
   * convolutions, the numbers of the 'wasm' set.
   */
  readonly winograd?: boolean;
}

/**
 * A new WebAssembly SIMD kernel set, the fastest here and the CLI's default:
 * named 'wasm', with '-fma' when its GEMM fuses multiply-adds and
 * '-winograd' when it runs Winograd convolutions (see
 * {@link Ops.WasmKernelOptions}): 'wasm-fma-winograd' has both. It compiles its modules synchronously and owns a heap
 * they share: operands are copied in and results copied out into fresh
 * arrays, so the ops stay pure. Make one per thread and keep it; float64
 * data (gradient checks) takes the TypeScript path.
 *
 * @example
 * const kernels = createWasmKernels();
 * const vg = valueAndGrad(net, { kernels });
 */
export const createWasmKernels = (options: WasmKernelOptions = {}): Kernels => {
  const { fma = hasRelaxedSimd(), winograd = false } = options;
  if (fma && !hasRelaxedSimd()) throw new RangeError('createWasmKernels: this runtime has no relaxed SIMD (fused multiply-add); Node 22+ and Chromium have it, Node 20 with --experimental-wasm-relaxed-simd');
  const heap = createHeap();
  const g = createWasmGemm(heap, fma);
  const el = createWasmElementwise(heap);
  const k = heapKernels(heap, g.gemmAt, g.denseSgdAt, el.raw);
  return { ...el.kernels, ...createWasmConv(heap, k, winograd), name: `wasm${fma ? '-fma' : ''}${winograd ? '-winograd' : ''}`, gemm: g.gemm };
};
