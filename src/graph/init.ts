// Weight initialisations. `seed` is the reference's: conv filters N(0,1)/9
// whatever the layer, dense weights N(0,1)/fan_in. `he` scales N(0,1) by
// sqrt(2/fan_in), which suits ReLU networks. Biases always start at 0.

import { allocating } from '../core/check.ts';
import { normal, type Key } from '../core/random.ts';
import { tensor, type Shape, type Tensor } from '../core/tensor.ts';

/**
 * How layers draw their weights: 'seed', the reference's (conv filters
 * N(0,1)/9, dense weights N(0,1)/fan_in), or 'he' (N(0,1)·sqrt(2/fan_in),
 * suited to ReLU networks). Biases always start at 0.
 */
export type InitScheme = 'seed' | 'he';

const scaledNormal = (key: Key, shape: Shape, scale: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const z = allocating('init', `weights of shape [${shape.join(', ')}]`, n, 8, () => normal(key, n));
  const data = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) data[i] = z[i]! * scale;
  return tensor(shape, data);
};

export const convFilters = (scheme: InitScheme, key: Key, shape: Shape, fanIn: number): Tensor =>
  scaledNormal(key, shape, scheme === 'seed' ? 1 / 9 : Math.sqrt(2 / fanIn));

export const denseWeights = (scheme: InitScheme, key: Key, shape: Shape, fanIn: number): Tensor =>
  scaledNormal(key, shape, scheme === 'seed' ? 1 / fanIn : Math.sqrt(2 / fanIn));
