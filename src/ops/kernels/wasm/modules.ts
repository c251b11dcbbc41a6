// Which committed build of a kernel module to load: scripts/build-wasm.ts
// makes every variant (fused multiply-adds, a shared memory) from the same
// WAT, and this table picks one for a heap and a CPU.

import { elementwiseSharedWasmBytes } from './elementwise-shared-wasm-bytes.ts';
import { elementwiseWasmBytes } from './elementwise-wasm-bytes.ts';
import { gemmFmaSharedWasmBytes } from './gemm-fma-shared-wasm-bytes.ts';
import { gemmFmaWasmBytes } from './gemm-fma-wasm-bytes.ts';
import { gemmSharedWasmBytes } from './gemm-shared-wasm-bytes.ts';
import { gemmWasmBytes } from './gemm-wasm-bytes.ts';

const builds = {
  gemm: gemmWasmBytes,
  'gemm-fma': gemmFmaWasmBytes,
  'gemm-shared': gemmSharedWasmBytes,
  'gemm-fma-shared': gemmFmaSharedWasmBytes,
  elementwise: elementwiseWasmBytes,
  'elementwise-shared': elementwiseSharedWasmBytes,
} as const;

/** The variants each module is built in: fused multiply-adds exist for the GEMM alone. */
interface Variants {
  readonly gemm: { readonly fma?: boolean; readonly shared?: boolean };
  readonly elementwise: { readonly shared?: boolean };
}

/**
 * The bytes of a kernel module's variant: `fma` fuses the GEMM's
 * multiply-adds (relaxed SIMD), `shared` declares its memory shared (the
 * variant a shared heap, `isShared(memory)`, links to).
 */
export const moduleBytes = <M extends keyof Variants>(name: M, variant?: Variants[M]): Uint8Array => {
  const { fma = false, shared = false }: { readonly fma?: boolean; readonly shared?: boolean } = variant ?? {};
  return builds[`${name}${fma ? '-fma' : ''}${shared ? '-shared' : ''}` as keyof typeof builds]();
};
