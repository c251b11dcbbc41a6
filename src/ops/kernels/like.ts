// Fresh arrays with the dtype of an existing one: every kernel's outputs
// follow its inputs (float64 only in gradient checks).

import type { Data } from '../../core/tensor.ts';

export const like = (x: Readonly<Data>, n: number): Data => (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n));
