// Layers, combinators, losses, optimizers and schedules.

export type { Layer, LayerRow, NoParams, ParamsOf } from './layer.ts';
export { conv, untiedBias, bias, relu, flatten, maxPool, dense } from './layers.ts';
export { serial, type Serial, type SerialParams } from './serial.ts';
export { seedNetwork, MNIST_SHAPE, type SeedNetwork, type SeedParams, type SeedNetworkOptions } from './seed-network.ts';
export { summarize, formatTable, type NetworkSummary } from './table.ts';
export { valueAndGrad, predictLogits, type Batch, type LossAndGrad } from './value-and-grad.ts';
export { sgd, momentum, adam, optimizerByName, type Optimizer, type OptimizerName, type Step } from './optimizers.ts';
export { constant, warmupCosine, seedSchedule, stepDecay, type Schedule } from './schedules.ts';
export { checkGradients, type GradCheckOptions, type GradCheckResult } from './gradcheck.ts';
export { mapTree, zipTrees, leaves, fromLeaves, countParams, type Tree } from './tree.ts';
export type { InitScheme } from './init.ts';
export { trace, saliency, type LayerOutput, type Saliency } from './explain.ts';
