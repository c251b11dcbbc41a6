/**
 * Losses, gradients and the gradient checker. `valueAndGrad` turns a
 * network and a loss into a function from parameters and a batch to the
 * loss and every parameter's gradient; the checker compares any op's or
 * layer's backward with central differences. Import them from
 * `mnist-cnn-ts`.
 *
 * @module Gradients
 */

export { valueAndGrad, predict, type Batch, type LossAndGrad, type ValueAndGradOptions } from '../graph/index.ts';
export { crossEntropyLoss, meanSquaredError, type Loss } from '../graph/index.ts';
export { checkGradients, checkLayerGradients, type Checked, type GradCheckOptions, type GradCheckResult, type Inputs, type Mismatch } from '../graph/index.ts';
