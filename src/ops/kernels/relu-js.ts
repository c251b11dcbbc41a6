// ReLU loops in plain TypeScript: the oracle for the WASM kernels.

import { like } from './like.ts';
import type { Elementwise } from './types.ts';

export const reluJs: Elementwise['relu'] = (x) => {
  const y = like(x, x.length);
  for (let i = 0; i < y.length; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v : 0;
  }
  return y;
};

export const reluBackwardJs: Elementwise['reluBackward'] = (y, dy) => {
  const dx = like(dy, y.length);
  for (let i = 0; i < dx.length; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
  return dx;
};
