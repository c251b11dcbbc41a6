// Broadcast add over rows and its adjoint, the column sum: both biases
// (per channel and untied) are these two loops with a different row length.

import { like } from './like.ts';
import type { Elementwise } from './types.ts';

export const addRowsJs: Elementwise['addRows'] = (x, b) => {
  const m = b.length;
  const y = like(x, x.length);
  for (let i = 0; i < y.length; i += m) for (let j = 0; j < m; j++) y[i + j] = x[i + j]! + b[j]!;
  return y;
};

export const sumRowsJs: Elementwise['sumRows'] = (dy, m) => {
  const db = like(dy, m);
  for (let i = 0; i < dy.length; i += m) for (let j = 0; j < m; j++) db[j] += dy[i + j]!;
  return db;
};
