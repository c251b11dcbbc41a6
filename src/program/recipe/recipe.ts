// What a config means: the network, optimizer and schedule it trains with.
// Free of Node APIs (the demo page trains with it); the parts of a config it
// reads are typed structurally, so it needs nothing from the CLI.

import { optimizerByName, seedNetwork, warmupCosine, type InitScheme, type OptimizerName, type Schedule } from '../../graph/index.ts';
import { defaultAugment, type Augment } from '../../training/augment.ts';
import type { AugmentName } from './config.ts';

export { ARCHITECTURE } from './weights.ts';

/** The network a config trains: the seed network with the config's initialisation. */
export const networkFor = (c: { readonly init: InitScheme }) => seedNetwork({ init: c.init });

/** The optimizer a config trains with, at its default hyper-parameters. */
export const optimizerFor = (c: { readonly optimizer: OptimizerName }) => optimizerByName(c.optimizer);

/**
 * seed: the reference's per-epoch warm-up + cosine (3 warm-up epochs, the rest
 * decay; exactly the reference's nine values at 9 epochs, docs/reference-network.md). default: the same shape
 * per step, with a short warm-up, ending at 1% of the peak.
 */
export const scheduleFor = (c: { readonly preset: 'seed' | 'default'; readonly lr: number; readonly epochs: number }): Schedule => {
  if (c.preset === 'seed') {
    const warmup = Math.min(3, c.epochs - 1);
    return warmupCosine({ max: c.lr, init: 1e-5, final: 1e-5, warmup, decay: c.epochs - warmup });
  }
  const warmup = Math.min(0.3, c.epochs / 4);
  // The decay is epochs - warmup; computed as (epochs - warmup + 1) - 1, which rounds as the divisor did when
  // warmupCosine took the decay plus one, so that runs of 2, 8, 32... epochs keep their rates to the last bit
  // (and their checkpoints resume exactly).
  return warmupCosine({ max: c.lr, init: c.lr / 20, final: c.lr / 100, warmup, decay: c.epochs - warmup + 1 - 1, continuous: true });
};

/** The augmentation a config names, or none. */
export const augmentFor = (c: { readonly augment: AugmentName }): Augment | undefined => (c.augment === 'default' ? defaultAugment : undefined);
