/**
 * Training: the loop (`fit`), where its gradients come from (a `Source`:
 * eager, compiled or workers), batches, evaluation, data augmentation and
 * the robustness report. Import them from `mnist-cnn-ts`.
 *
 * @module Training
 */

export {
  fit, initialState, stepsPerEpoch,
  type FitSetup, type FitComputation, type FitPlan, type FitEvents, type FitResult, type RunState, type EpochMetrics,
} from '../training/loop.ts';
export { eagerSource, compiledSource, type Source, type BatchGrad, type BatchStep } from '../training/source.ts';
export { take, makeBatch, argmaxRows, type Images, type Dataset } from '../training/batches.ts';
export { evaluate, evaluateAsync, type Evaluation, type EvaluateOptions, type EvaluateAsyncOptions } from '../training/evaluate.ts';
export { affine, strokes, compose, defaultAugment, type Augment, type AffineSpec } from '../training/augment.ts';
export { robustness, formatRobustness, type RobustnessReport } from '../training/robustness.ts';
