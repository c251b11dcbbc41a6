// What a training run is: its config (preset, epochs, batch, optimizer,
// init, seed, limits, threads, kernels) and the two presets
// (codecs.ts validates one read back from a checkpoint). The CLI's flags
// build one; the page and library users write one.

export type Preset = 'default' | 'seed';

export interface TrainConfig {
  readonly preset: Preset;
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate of the preset's schedule. */
  readonly lr: number;
  readonly optimizer: 'sgd' | 'momentum' | 'adam';
  readonly init: 'seed' | 'he';
  readonly shuffle: boolean;
  readonly seed: number;
  readonly trainLimit: number | null;
  readonly testLimit: number | null;
  readonly threads: number;
  readonly kernels: 'wasm' | 'js' | 'reference';
}

export const presets: Record<Preset, Omit<TrainConfig, 'seed' | 'trainLimit' | 'testLimit' | 'threads' | 'kernels'>> = {
  // ../shared/SEED.md: one image at a time, plain SGD, file order, 9 epochs.
  seed: { preset: 'seed', epochs: 9, batchSize: 1, lr: 1e-3, optimizer: 'sgd', init: 'seed', shuffle: false },
  // Fast and modern: shuffled mini-batches, He init, Adam, warm-up + cosine per step.
  default: { preset: 'default', epochs: 6, batchSize: 64, lr: 2e-3, optimizer: 'adam', init: 'he', shuffle: true },
};
