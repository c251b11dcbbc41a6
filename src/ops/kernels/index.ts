// The kernel sets that ship: `reference` (obvious loops, the oracle) and `js`
// (register-blocked, the default).

import { elementwiseJs } from './elementwise-js.ts';
import { gemmJs } from './gemm-js.ts';
import { gemmReference } from './gemm-reference.ts';
import type { Kernels } from './types.ts';

export type { AdamHyper, Elementwise, Gemm, Kernels, WindowGeometry } from './types.ts';

export const referenceKernels: Kernels = { ...elementwiseJs, name: 'reference', gemm: gemmReference };
export const jsKernels: Kernels = { ...elementwiseJs, name: 'js', gemm: gemmJs };
