// Kernel set by name, for the CLI, the workers and the benchmark.

import { jsKernels, referenceKernels, type Kernels } from './index.ts';
import { createWasmKernels } from './wasm/gemm-wasm.ts';

export type KernelName = 'wasm' | 'js' | 'reference';

export const kernelsByName = (name: KernelName): Kernels =>
  name === 'reference' ? referenceKernels : name === 'js' ? jsKernels : createWasmKernels();
