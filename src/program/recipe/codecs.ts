// io-ts codecs for what a checkpoint's header holds: whole counts, finite
// numbers and the run config. Internal to the library: the checkpoint decoder
// and the CLI's flags use them; the published types do not name io-ts.

import * as t from 'io-ts';
import { optimizerNames, type OptimizerName } from '../../graph/optimizers/index.ts';

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

/** One of the library's optimizers by name (the registry's names). */
export const OptimizerNameCodec = t.keyof(Object.fromEntries(optimizerNames.map((n) => [n, null])) as Record<OptimizerName, null>);

/** The config as stored in checkpoints; resuming validates it with this codec. */
const AugmentName = t.keyof({ none: null, default: null });

/** Checkpoints written before augmentation existed have no `augment`: they trained without it. */
const AugmentOrNone = new t.Type<'none' | 'default', 'none' | 'default', unknown>(
  'augment',
  AugmentName.is,
  (u, c) => (u === undefined ? t.success('none') : AugmentName.validate(u, c)),
  t.identity,
);

export const TrainConfigCodec = t.type({
  preset: t.keyof({ default: null, seed: null }),
  epochs: IntAtLeast(1),
  batchSize: IntAtLeast(1),
  lr: PositiveNumber,
  optimizer: OptimizerNameCodec,
  init: t.keyof({ seed: null, he: null }),
  shuffle: t.boolean,
  seed: IntAtLeast(0),
  trainLimit: t.union([IntAtLeast(1), t.null]),
  testLimit: t.union([IntAtLeast(1), t.null]),
  threads: IntAtLeast(1),
  kernels: t.keyof({ wasm: null, 'wasm-winograd': null, js: null, reference: null }),
  augment: AugmentOrNone,
});

