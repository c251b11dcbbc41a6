// Optimizer updates per leaf in plain TypeScript (arithmetic in float64,
// rounded on store): the oracle for the WASM updates.

import { like } from './like.ts';
import type { Elementwise } from './types.ts';

export const sgdJs: Elementwise['sgd'] = (pd, gd, lr) => {
  const out = like(pd, pd.length);
  for (let i = 0; i < out.length; i++) out[i] = pd[i]! - lr * gd[i]!;
  return out;
};

export const momentumJs: Elementwise['momentum'] = (pd, vd, gd, mu, lr) => {
  const v = like(vd, vd.length);
  for (let i = 0; i < v.length; i++) v[i] = mu * vd[i]! + gd[i]!;
  const p = like(pd, pd.length);
  for (let i = 0; i < p.length; i++) p[i] = pd[i]! - lr * v[i]!;
  return { p, v };
};

export const adamJs: Elementwise['adam'] = (pd, md, vd, gd, { lr, beta1, beta2, c1, c2, eps }) => {
  const m = like(md, md.length);
  for (let i = 0; i < m.length; i++) m[i] = beta1 * md[i]! + (1 - beta1) * gd[i]!;
  const v = like(vd, vd.length);
  for (let i = 0; i < v.length; i++) v[i] = beta2 * vd[i]! + (1 - beta2) * gd[i]! * gd[i]!;
  const p = like(pd, pd.length);
  for (let i = 0; i < p.length; i++) p[i] = pd[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
  return { p, m, v };
};
