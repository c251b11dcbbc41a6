// The plain TypeScript elementwise kernels as one record, shared by the
// `reference` and `js` sets and used by the WASM set for float64 data.

import { addRowsJs, sumRowsJs } from './bias-js.ts';
import { col2imJs, im2colJs } from './im2col-js.ts';
import { adamJs, momentumJs, sgdJs } from './optimizer-js.ts';
import { maxPoolBackwardJs, maxPoolJs } from './pool-js.ts';
import { reluBackwardJs, reluJs } from './relu-js.ts';
import type { Elementwise } from './types.ts';

export const elementwiseJs: Elementwise = {
  relu: reluJs,
  reluBackward: reluBackwardJs,
  addRows: addRowsJs,
  sumRows: sumRowsJs,
  im2col: im2colJs,
  col2im: col2imJs,
  maxPool: maxPoolJs,
  maxPoolBackward: maxPoolBackwardJs,
  sgd: sgdJs,
  momentum: momentumJs,
  adam: adamJs,
};
