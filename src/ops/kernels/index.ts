// The kernel sets that ship: `reference` (obvious loops, the oracle) and `js`
// (register-blocked, the default).

import { convByIm2col } from './conv-js.ts';
import { elementwiseJs } from './elementwise-js.ts';
import { gemmJs } from './gemm-js.ts';
import { gemmReference } from './gemm-reference.ts';
import type { Kernels } from './types.ts';

export type { AdamHyper, Convolution, Elementwise, Gemm, Kernels, WindowGeometry } from './types.ts';

/** The oracle: the obvious loops, slow and plainly right; the faster sets are tested against it. Any dtype. */
export const referenceKernels: Kernels = { ...elementwiseJs, ...convByIm2col(gemmReference, elementwiseJs), name: 'reference', gemm: gemmReference };
/** Register-blocked TypeScript: the default of every op; any dtype, runs anywhere. */
export const jsKernels: Kernels = { ...elementwiseJs, ...convByIm2col(gemmJs, elementwiseJs), name: 'js', gemm: gemmJs };
