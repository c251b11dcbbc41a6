/**
 * Optimizers and learning-rate schedules. An optimizer's step takes the
 * parameters, their gradients and its state, and returns new parameters and
 * a new state; nothing is updated in place. A schedule maps the epoch (a
 * fraction, for per-step schedules) to a learning rate. Import them from
 * `mnist-cnn-ts`.
 *
 * @module Optimizers
 */

export {
  sgd, momentum, adam, adamw, optimizerByName, optimizerNames,
  type Optimizer, type OptimizerHyper, type OptimizerName, type Step, type StepOptions, type AdamOptions, type AdamState, type AdamWOptions, type MomentumState,
  type Hyper, type SgdHyper, type SgdState, type MomentumHyper, type AdamSettings, type AdamWSettings,
} from '../graph/index.ts';
export { constant, warmupCosine, seedSchedule, stepDecay, type Schedule, type WarmupCosineSpec } from '../graph/index.ts';
