// The kernel sets that ship: `reference` (obvious loops, the oracle) and `js`
// (register-blocked, the default).

import { gemmJs } from './gemm-js.ts';
import { gemmReference } from './gemm-reference.ts';
import type { Kernels } from './types.ts';

export type { Gemm, Kernels } from './types.ts';

export const referenceKernels: Kernels = { name: 'reference', gemm: gemmReference };
export const jsKernels: Kernels = { name: 'js', gemm: gemmJs };
