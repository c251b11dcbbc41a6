// Weights as they cross between page and worker: [path, Float32Array] leaves.

import { key } from '../core/random.ts';
import { tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, MNIST_SHAPE, seedNetwork, type SeedParams } from '../graph/index.ts';
import type { Leaves } from './protocol.ts';

const template = seedNetwork({ init: 'he' }).init(key(0), MNIST_SHAPE);
const shapes = new Map(leaves(template).map(([p, t]) => [p, t.shape] as const));

export const toLeaves = (p: SeedParams): Leaves => leaves(p).map(([path, t]) => [path, Float32Array.from(t.data)] as const);

export const fromLeavesMessage = (l: Leaves): SeedParams => {
  const byPath = new Map(l);
  return fromLeaves(template, (path) => tensor(shapes.get(path)!, byPath.get(path)!));
};
