/**
 * Looking inside a network: every layer's output for one input, the
 * saliency of its pixels, the backward pass layer by layer, one SGD step on
 * one image, and the arithmetic behind any single value or gradient (what
 * the demo page and `explain` show). Import them from `mnist-cnn-ts`.
 *
 * @module Inspect
 */

export { trace, saliency, type LayerOutput, type Saliency } from '../graph/index.ts';
export { backwardTrace, sgdStep, type BackwardTrace, type LayerGradients, type SgdStep } from '../graph/index.ts';
export { explainValue, explainGradient, explainParamGradient, explainLoss, type Arithmetic, type Term, type LossArithmetic } from '../graph/index.ts';
