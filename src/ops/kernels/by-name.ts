// Kernel set by name, for the CLI, the workers and the benchmark.

import { jsKernels, referenceKernels, type Kernels } from './index.ts';
import { createWasmKernels } from './wasm/gemm-wasm.ts';

/** The names of the shipped kernel sets, as the CLI's `--kernels` takes them. */
export type KernelName = 'wasm' | 'js' | 'reference';

/** The kernel set called `name`; 'wasm' makes a new WASM set (its own heap) on every call. */
export const kernelsByName = (name: KernelName): Kernels =>
  name === 'reference' ? referenceKernels : name === 'js' ? jsKernels : createWasmKernels();
