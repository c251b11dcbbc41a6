// Kernel set by name, for the CLI and the benchmark.

import { jsKernels, referenceKernels, type Kernels } from '../ops/kernels/index.ts';

export const kernelsByName = (name: 'wasm' | 'js' | 'reference'): Kernels =>
  name === 'reference' ? referenceKernels : jsKernels;
