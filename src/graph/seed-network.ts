// The reference network (../shared/SEED.md), written with the combinators.

import { padAll } from '../ops/conv2d.ts';
import type { InitScheme } from './init.ts';
import { conv, dense, flatten, maxPool, relu, untiedBias } from './layers.ts';
import { serial } from './serial.ts';

export const MNIST_SHAPE = [28, 28, 1] as const;

// 3x3/2 windows from 0, 2, 4, ... over an input padded by one on the bottom
// and right only: 28 -> 14 -> 7. Zero padding, as the reference (after ReLU
// it is the same as -infinity).
const pool = () => maxPool({ size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: 0 });

export interface SeedNetworkOptions {
  readonly init?: InitScheme;
  /** Channels of the three convs and units of the hidden dense layer; smaller widths make quick tests. */
  readonly widths?: readonly [number, number, number, number];
}

export const seedNetwork = ({ init = 'seed', widths: [c1, c2, c3, hidden] = [16, 32, 64, 100] }: SeedNetworkOptions = {}) =>
  serial({
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

export type SeedNetwork = ReturnType<typeof seedNetwork>;
export type SeedParams = ReturnType<SeedNetwork['init']>;
