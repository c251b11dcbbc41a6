// src/graph: the network as a graph of layers. Layers and their combinators
// (serial), valueAndGrad and predict, losses, optimizers, schedules, the
// gradient checker, and tools that walk a network (its table, trace,
// saliency, the backward pass and the arithmetic behind one value).

export type { Layer, LayerBackward, LayerRow, LayerSpec, NoParams, ParamsOf, RunOptions } from './layer.ts';
export { SPEC_APPLY } from './layer.ts';
export * as layers from './layers.ts';
export { conv, untiedBias, bias, relu, flatten, maxPool, dense, type ConvSpec, type PoolSpec } from './layers.ts';
export { serial, type Serial, type SerialParams } from './serial.ts';
export { seedNetwork, MNIST_SHAPE, type SeedNetwork, type SeedParams, type SeedNetworkOptions } from './seed-network.ts';
export { summarize, formatTable, type NetworkSummary } from './table.ts';
export { valueAndGrad, predict, type Batch, type LossAndGrad, type ValueAndGradOptions } from './value-and-grad.ts';
export { crossEntropyLoss, meanSquaredError, type Loss } from './losses.ts';
export {
  sgd, momentum, adam, adamw, optimizerByName, optimizerNames,
  type Optimizer, type OptimizerHyper, type OptimizerName, type Step, type StepOptions, type AdamOptions, type AdamState, type AdamWOptions, type MomentumState,
  type Hyper, type SgdHyper, type SgdState, type MomentumHyper, type AdamSettings, type AdamWSettings,
} from './optimizers/index.ts';
export { constant, warmupCosine, seedSchedule, stepDecay, type Schedule, type WarmupCosineSpec } from './schedules.ts';
export { checkGradients, checkLayerGradients, type Checked, type GradCheckOptions, type GradCheckResult, type Inputs, type Mismatch } from './gradcheck.ts';
export { mapTree, zipTrees, leaves, fromLeaves, countParams, isTensor, type Tree } from './tree.ts';
export { layoutOf, layoutSize, packTree, unpackTree, type Layout } from './packing.ts';
export type { InitScheme } from './init.ts';
export { trace, saliency, type LayerOutput, type Saliency } from './explain.ts';
export { backwardTrace, type BackwardTrace, type LayerGradients } from './backward.ts';
export { sgdStep, type SgdStep } from './teach.ts';
export { explainValue, explainGradient, explainParamGradient, explainLoss, type Arithmetic, type Term, type LossArithmetic } from './arithmetic.ts';
