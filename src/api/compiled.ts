/**
 * Compiled networks and workers. `compile` turns a network into a program
 * of WebAssembly kernel calls over one heap (the same kernels and call
 * sequences the eager ops use, so it agrees with them bit for bit);
 * `workerGradients` splits each batch over workers of any platform (the
 * page's Web Workers, or Node's: `parallelGradients` in
 * `mnist-cnn-ts/node`). Import them from `mnist-cnn-ts`.
 *
 * @module Compile
 */

export { compile, type Compiled, type CompileOptions, type CompiledStep, type StageTime } from '../compile/compile.ts';
export type { KernelHelper } from '../compile/helper.ts';
export type { WasmMemory } from '../ops/kernels/wasm/instantiate.ts';
export type { Layout } from '../graph/packing.ts';
export { workerGradients, type WorkerPort, type WorkerSourceOptions } from '../parallel/source.ts';
export { serveGradients } from '../parallel/serve.ts';
export type { WorkerInit, NetworkSource, WorkerStep, WorkerTrainStep, WorkerPredict } from '../parallel/protocol.ts';
