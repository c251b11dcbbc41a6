/**
 * Ops and kernels. An op is a pure function that returns its output and a
 * backward closure, `{ out, backward }`; images are NHWC, conv filters HWIO,
 * losses average over the batch. Every op takes an options bag last whose
 * `kernels` says what runs the loops: the plain JavaScript kernels (the
 * oracle), the float64 reference, or WebAssembly SIMD. Ops and layers share
 * names, so the ops are one namespace: `ops.relu(x, { kernels })`.
 * Import them from `mnist-cnn-ts`.
 *
 * @module Ops
 */

/**
 * The ops: pure functions that return their output and a backward closure,
 * `{ out, backward }` ({@link Op}). Each returns fresh arrays (or a view,
 * for reshapes) and never writes its inputs.
 */
export * as ops from '../ops/index.ts';
export type { Op, OpOptions, Labels, Padding } from '../ops/index.ts';
export { jsKernels, referenceKernels, type Kernels, type Gemm, type WindowGeometry, type AdamHyper } from '../ops/kernels/index.ts';
export { createWasmKernels, hasRelaxedSimd, type WasmKernelOptions } from '../ops/kernels/wasm/gemm-wasm.ts';
export { kernelsByName, isWasmName, type KernelName } from '../ops/kernels/by-name.ts';
