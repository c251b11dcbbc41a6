// What a training run is: its config (preset, epochs, batch, optimizer,
// init, seed, limits, threads, kernels) and the two presets
// (codecs.ts validates one read back from a checkpoint). The CLI's flags
// build one; the page and library users write one.

import type { OptimizerName } from '../../graph/optimizers/index.ts';
import type { KernelName } from '../../ops/kernels/by-name.ts';

/** The two recipes: 'seed', the reference's run, and 'default', the modern one. */
export type Preset = 'default' | 'seed';

/** The longest run a config or checkpoint may ask for: a bound against absurd values, far above any real run. */
export const MAX_EPOCHS = 10_000;

/** A training run as the CLI and checkpoints describe it: everything but the data. */
export interface TrainConfig {
  /** Which recipe: it picks the schedule. */
  readonly preset: Preset;
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate of the preset's schedule. */
  readonly lr: number;
  readonly optimizer: OptimizerName;
  readonly init: 'seed' | 'he';
  /** Shuffle each epoch (from `seed`), or keep file order. */
  readonly shuffle: boolean;
  /** Fixes the initialisation and every shuffle. */
  readonly seed: number;
  /** Train on the first N images only; null for all. */
  readonly trainLimit: number | null;
  /** Test on the first N images only; null for all. */
  readonly testLimit: number | null;
  /** Worker threads for the gradients. */
  readonly threads: number;
  readonly kernels: KernelName;
  /** Training batches transformed (training/augment.ts): 'default' moves, turns, resizes, shears and thickens or thins the digits; 'none' leaves them as they are. */
  readonly augment: AugmentName;
}

/** The augmentations a config can name. */
export type AugmentName = 'none' | 'default';

/** The two recipes' settings; a config adds the seed, limits, threads and kernels. */
export const presets: Record<Preset, Omit<TrainConfig, 'seed' | 'trainLimit' | 'testLimit' | 'threads' | 'kernels'>> = {
  // The reference (docs/reference-network.md): one image at a time, plain SGD, file order, 9 epochs.
  seed: { preset: 'seed', epochs: 9, batchSize: 1, lr: 1e-3, optimizer: 'sgd', init: 'seed', shuffle: false, augment: 'none' },
  // Fast and modern: shuffled mini-batches, He init, Adam, warm-up + cosine per step.
  default: { preset: 'default', epochs: 6, batchSize: 64, lr: 2e-3, optimizer: 'adam', init: 'he', shuffle: true, augment: 'default' },
};
