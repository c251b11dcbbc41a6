// The WebAssembly SIMD kernel set: GEMM by the f32x4 micro-kernel in gemm.wat,
// the elementwise kernels by elementwise.wat (elementwise-wasm.ts).
// Each kernel set owns one instance; its memory is private scratch: operands
// are copied in, the module computes C in place there, C is copied out.
// Float64 operands (gradient checks only) fall back to the JS kernel.

import { gemmJs } from '../gemm-js.ts';
import type { Gemm, Kernels } from '../types.ts';
import { createWasmElementwise } from './elementwise-wasm.ts';
import { gemmWasmBytes } from './gemm-wasm-bytes.ts';
import { instantiate, type WasmMemory } from './instantiate.ts';

interface GemmExports {
  readonly memory: WasmMemory;
  /** Bytes of scratch `gemm` needs for these sizes. */
  readonly workspace: (m: number, n: number, k: number) => number;
  /** C = op(A) op(B) (+ C when acc); byte offsets into memory; m, n, k >= 1. */
  readonly gemm: (
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, b: number, c: number, ws: number, acc: number,
  ) => void;
}

const PAGE = 65536;
const align = (bytes: number): number => (bytes + 63) & ~63;

/** Compiles and instantiates the module synchronously; returns its GEMM. */
export const createWasmGemm = (): Gemm => {
  const wasm = instantiate(gemmWasmBytes()) as GemmExports;
  const memory = wasm.memory;
  let heap = new Float32Array(memory.buffer);

  const reserve = (bytes: number): void => {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
  };

  return (transA, transB, m, n, k, a, b, c, accumulate) => {
    if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
      gemmJs(transA, transB, m, n, k, a, b, c, accumulate);
      return;
    }
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) c.fill(0, 0, m * n);
      return;
    }
    const aOff = 0;
    const bOff = aOff + align(m * k * 4);
    const cOff = bOff + align(k * n * 4);
    const wsOff = cOff + align(m * n * 4);
    reserve(wsOff + wasm.workspace(m, n, k));
    heap.set(a.length === m * k ? a : a.subarray(0, m * k), aOff >> 2);
    heap.set(b.length === k * n ? b : b.subarray(0, k * n), bOff >> 2);
    if (accumulate) heap.set(c.length === m * n ? c : c.subarray(0, m * n), cOff >> 2);
    wasm.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, aOff, bOff, cOff, wsOff, accumulate ? 1 : 0);
    c.set(heap.subarray(cOff >> 2, (cOff >> 2) + m * n));
  };
};

/** The WASM SIMD kernel set (name 'wasm'): GEMM and the elementwise kernels, one instance each. */
export const createWasmKernels = (): Kernels => ({ ...createWasmElementwise(), name: 'wasm', gemm: createWasmGemm() });
