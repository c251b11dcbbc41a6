// Weights as they cross between page and worker: [path, Float32Array] leaves.

import { tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, type SeedParams } from '../graph/index.ts';
import { paramsTemplate } from '../training/weights.ts';
import type { Leaves } from './protocol.ts';

const template = paramsTemplate();
const shapes = new Map(leaves(template).map(([p, t]) => [p, t.shape] as const));

export const toLeaves = (p: SeedParams): Leaves => leaves(p).map(([path, t]) => [path, Float32Array.from(t.data)] as const);

export const fromLeavesMessage = (l: Leaves): SeedParams => {
  const byPath = new Map(l);
  return fromLeaves(template, (path) => tensor(shapes.get(path)!, byPath.get(path)!));
};
