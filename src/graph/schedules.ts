// Learning-rate schedules: pure functions of the (fractional) epoch, where
// epoch + i / stepsPerEpoch is the position of step i within the epoch.

import { ArgumentError, finiteNumber, optionsBag } from '../core/check.ts';

/**
 * A learning rate as a function of the fractional epoch: step i of an epoch
 * of `steps` steps is at epoch + i / steps.
 */
export type Schedule = (epoch: number) => number;

/** The same rate throughout. */
export const constant = (lr: number): Schedule => {
  finiteNumber('constant', 'lr', lr);
  return () => lr;
};

/** The shape of a {@link warmupCosine} schedule; durations are in epochs. */
export interface WarmupCosineSpec {
  /** The peak rate, reached at the end of the warm-up. */
  readonly max: number;
  /** The rate at epoch 0. */
  readonly init: number;
  /** The rate at the end of the decay. */
  readonly final: number;
  /** Epochs of linear warm-up. */
  readonly warmup: number;
  /** Epochs of the cosine fall after the warm-up: a run of `warmup + decay` epochs ends at `final`. */
  readonly decay: number;
  /** When true the rate changes every step; when false it is constant within an epoch (the reference). */
  readonly continuous?: boolean;
}

/**
 * Linear warm-up from `init` to `max` over `warmup` epochs, then a quarter
 * cosine from `max` to `final` over `decay` epochs, so that a run of
 * `warmup + decay` epochs ends at `final`:
 *
 * - per epoch (the reference): the decay's epochs train at rates from `max`
 *   (its first) down to `final` (its last, epoch `warmup + decay - 1`); the
 *   reference divides by (decay - 1) for that. A decay of one epoch or less
 *   has no room to fall: it stays at `max`.
 * - per step (`continuous`): the rate falls from `max` at epoch `warmup` to
 *   `final` at epoch `warmup + decay`, the end of the run's last step.
 *
 * @example
 * // 6 epochs, per step: 0.3 epochs of warm-up, then 5.7 of decay.
 * const schedule = warmupCosine({ max: 2e-3, init: 1e-4, final: 2e-5, warmup: 0.3, decay: 5.7, continuous: true });
 * schedule(0.3); // 2e-3
 * schedule(6); // 2e-5
 */
export const warmupCosine = (spec: WarmupCosineSpec): Schedule => {
  const { max, init, final, warmup, decay, continuous = false } = optionsBag('warmupCosine', 'its argument', spec, '{ max, init, final, warmup, decay, continuous? }');
  for (const k of ['max', 'init', 'final', 'warmup', 'decay'] as const) finiteNumber('warmupCosine', k, spec[k]);
  return (epoch) => {
    const e = continuous ? epoch : Math.floor(epoch);
    if (e < warmup) return ((max - init) * e) / warmup + init;
    const span = continuous ? decay : decay - 1;
    const progress = span > 0 ? (e - warmup) / span : 0;
    return (max - final) * Math.max(0, Math.cos((progress * Math.PI) / 2)) + final;
  };
};

/** The reference's schedule (docs/reference-network.md): 3 warm-up and 6 decay epochs, 1e-5 -> 1e-3 -> 1e-5. */
export const seedSchedule: Schedule = warmupCosine({ max: 1e-3, init: 1e-5, final: 1e-5, warmup: 3, decay: 6 });

/** Multiplies the rate by `factor` every `every` epochs. */
export const stepDecay = (lr: number, factor: number, every: number): Schedule => {
  finiteNumber('stepDecay', 'lr', lr);
  finiteNumber('stepDecay', 'factor', factor);
  if (!(finiteNumber('stepDecay', 'every', every) > 0)) throw new ArgumentError(`stepDecay: every must be a positive number of epochs, got ${every}`);
  return (epoch) => lr * factor ** Math.floor(epoch / every);
};
