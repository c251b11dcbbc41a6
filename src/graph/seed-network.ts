// The reference network (docs/reference-network.md), written with the combinators.

import { padAll } from '../ops/conv2d.ts';
import type { InitScheme } from './init.ts';
import { conv, dense, flatten, maxPool, relu, untiedBias } from './layers.ts';
import { serial } from './serial.ts';

/** One MNIST image without the batch axis: [28, 28, 1] (h, w, c). */
export const MNIST_SHAPE = [28, 28, 1] as const;

// 3x3/2 windows from 0, 2, 4, ... over an input padded by one on the bottom
// and right only: 28 -> 14 -> 7. Zero padding, as the reference (after ReLU
// it is the same as -infinity).
const pool = () => maxPool({ size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: 0 });

/** The options of {@link seedNetwork}. */
export interface SeedNetworkOptions {
  /** Default 'seed', the reference's initialisation; 'he' trains faster with Adam. */
  readonly init?: InitScheme;
  /** Channels of the three convs and units of the hidden dense layer; smaller widths make quick tests. */
  readonly widths?: readonly [number, number, number, number];
}

/**
 * The reference network: three blocks of 3x3 conv (pad 1), untied bias and
 * ReLU, the first two followed by a 3x3/2 max pool (28 -> 14 -> 7), then
 * flatten, dense 100 + ReLU and dense 10, the logits. On MNIST_SHAPE
 * inputs: 359,846 parameters, 2,233,832 MACs per image. The layer names
 * (conv1, add1, relu1, pool1, ..., dense1, relu4, dense2) are the keys of
 * its parameter record and, prefixed with `params.`, the tensor names of
 * its weight files.
 *
 * @example
 * const net = seedNetwork({ init: 'he' });
 * const params = net.init(key(0), MNIST_SHAPE);
 * console.log(formatTable(summarize(net, MNIST_SHAPE), MNIST_SHAPE));
 */
export const seedNetwork = (options: SeedNetworkOptions = {}) => {
  const { init = 'seed', widths: [c1, c2, c3, hidden] = [16, 32, 64, 100] } = options;
  return serial({
    conv1: conv({ filters: c1, size: 3, pad: padAll(1), init }),
    add1: untiedBias(),
    relu1: relu(),
    pool1: pool(),
    conv2: conv({ filters: c2, size: 3, pad: padAll(1), init }),
    add2: untiedBias(),
    relu2: relu(),
    pool2: pool(),
    conv3: conv({ filters: c3, size: 3, pad: padAll(1), init }),
    add3: untiedBias(),
    relu3: relu(),
    flatten: flatten(),
    dense1: dense({ units: hidden, init }),
    relu4: relu(),
    dense2: dense({ units: 10, init }),
  });
};

/** The type of {@link seedNetwork}'s pipeline. */
export type SeedNetwork = ReturnType<typeof seedNetwork>;
/** The seed network's parameter record: `{ conv1: { w }, add1: { b }, ..., dense2: { w, b } }`. */
export type SeedParams = ReturnType<SeedNetwork['init']>;
