// What a config means: the network, optimizer and schedule it trains with.

import type { TrainConfig } from '../cli/config.ts';
import { optimizerByName, seedNetwork, warmupCosine, type Schedule } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';

export const ARCHITECTURE = 'seed-cnn-v1';

export const networkFor = (c: Pick<TrainConfig, 'init'>) => seedNetwork({ init: c.init });

export const optimizerFor = (c: Pick<TrainConfig, 'optimizer'>, kernels?: Kernels) => optimizerByName(c.optimizer, kernels);

/**
 * seed: the reference's per-epoch warm-up + cosine (3 warm-up epochs, the rest
 * decay; exactly SEED.md's nine values at 9 epochs). default: the same shape
 * per step, with a short warm-up, ending at 1% of the peak.
 */
export const scheduleFor = (c: Pick<TrainConfig, 'preset' | 'lr' | 'epochs'>): Schedule => {
  if (c.preset === 'seed') {
    const warmup = Math.min(3, c.epochs - 1);
    return warmupCosine({ max: c.lr, init: 1e-5, final: 1e-5, warmup, decay: c.epochs - warmup });
  }
  const warmup = Math.min(0.3, c.epochs / 4);
  return warmupCosine({ max: c.lr, init: c.lr / 20, final: c.lr / 100, warmup, decay: c.epochs - warmup + 1, continuous: true });
};
