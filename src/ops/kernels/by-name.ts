// Kernel set by name, for the CLI, the workers and the benchmark.

import { jsKernels, referenceKernels, type Kernels } from './index.ts';
import { createWasmKernels } from './wasm/gemm-wasm.ts';

/**
 * The names of the shipped kernel sets, as the CLI's `--kernels` takes them:
 * 'wasm-winograd' is 'wasm' with Winograd convolutions where they apply.
 */
export type KernelName = 'wasm' | 'wasm-winograd' | 'js' | 'reference';

/** Every {@link KernelName}, for the checks of what a caller passes. */
export const kernelNames: readonly KernelName[] = ['wasm', 'wasm-winograd', 'js', 'reference'];

/** Whether a kernel name is a WASM set (which a compiled network runs). */
export const isWasmName = (name: KernelName): name is 'wasm' | 'wasm-winograd' => name === 'wasm' || name === 'wasm-winograd';

/** The kernel set called `name`; a WASM name makes a new set (its own heap) on every call. */
export const kernelsByName = (name: KernelName): Kernels =>
  name === 'reference' ? referenceKernels : name === 'js' ? jsKernels : createWasmKernels({ winograd: name === 'wasm-winograd' });
