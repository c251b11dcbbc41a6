// What a training run is: its config (preset, epochs, batch, optimizer,
// init, seed, limits, threads, kernels), the two presets, and the io-ts codec
// that validates a config read back from a checkpoint. The CLI's flags build
// one; the page and library users write one.

import * as t from 'io-ts';

export type Preset = 'default' | 'seed';

/** A number that `ok` accepts; `name` completes "must be ...". */
const numberCodec = (name: string, ok: (n: number) => boolean) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c, `must be ${name}`)),
    t.identity,
  );

export const IntAtLeast = (min: number) => numberCodec(`an integer >= ${min}`, (n) => Number.isSafeInteger(n) && n >= min);
export const PositiveNumber = numberCodec('a positive number', (n) => Number.isFinite(n) && n > 0);
export const NonNegativeNumber = numberCodec('a finite number >= 0', (n) => Number.isFinite(n) && n >= 0);

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

/** The config as stored in checkpoints; resuming validates it with this codec. */
export const TrainConfigCodec = t.type({
  preset: t.keyof({ default: null, seed: null }),
  epochs: IntAtLeast(1),
  batchSize: IntAtLeast(1),
  lr: PositiveNumber,
  optimizer: t.keyof({ sgd: null, momentum: null, adam: null }),
  init: t.keyof({ seed: null, he: null }),
  shuffle: t.boolean,
  seed: IntAtLeast(0),
  trainLimit: t.union([IntAtLeast(1), t.null]),
  testLimit: t.union([IntAtLeast(1), t.null]),
  threads: IntAtLeast(1),
  kernels: t.keyof({ wasm: null, js: null, reference: null }),
});

export const presets: Record<Preset, Omit<TrainConfig, 'seed' | 'trainLimit' | 'testLimit' | 'threads' | 'kernels'>> = {
  // ../shared/SEED.md: one image at a time, plain SGD, file order, 9 epochs.
  seed: { preset: 'seed', epochs: 9, batchSize: 1, lr: 1e-3, optimizer: 'sgd', init: 'seed', shuffle: false },
  // Fast and modern: shuffled mini-batches, He init, Adam, warm-up + cosine per step.
  default: { preset: 'default', epochs: 6, batchSize: 64, lr: 2e-3, optimizer: 'adam', init: 'he', shuffle: true },
};
