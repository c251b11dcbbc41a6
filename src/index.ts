/**
 * mnist-cnn-ts: the library. A small functional deep-learning library for
 * convolutional networks, written from scratch: tensors, ops that return
 * their output with a backward closure, layers and pipelines, pure
 * optimizers, a gradient checker, the training loop and the file formats.
 * Nothing here imports Node: it runs in Node and in a browser alike. The
 * Node-only parts (worker threads, files) are `mnist-cnn-ts/node`.
 *
 * Ops and layers share names (relu, bias, dense, flatten), so each set is a
 * namespace: `ops.relu(x)` is the op, `layers.relu()` the layer.
 *
 * @module mnist-cnn-ts
 */

// Tensors, shapes, random keys, results.
export {
  tensor, fromArray, zeros, zerosLike, toArray, astype, reshape, sizeOf, dtypeOf, copyData,
  type Tensor, type Shape, type DType, type Data,
} from './core/tensor.ts';
export { ShapeError } from './core/shape.ts';
export { key, split, foldIn, normal, uniform, permutation, type Key } from './core/random.ts';
export type { Result, Success, Failure } from './core/result.ts';

// The ops (ops.conv2d, ops.relu, ...) and the kernel sets they run on.
/**
 * The ops: pure functions that return their output and a backward closure,
 * `{ out, backward }` ({@link Op}). Inputs are NHWC for images and HWIO for
 * conv filters; losses average over the batch. Every op takes an options bag
 * last, whose `kernels` defaults to {@link jsKernels}; each returns fresh
 * arrays (or a view, for reshapes) and never writes its inputs.
 */
export * as ops from './ops/index.ts';
export type { Op, OpOptions, Labels, Padding } from './ops/index.ts';
export { padAll } from './ops/conv2d.ts';
export { jsKernels, referenceKernels, type Kernels, type Gemm, type WindowGeometry, type AdamHyper } from './ops/kernels/index.ts';
export { createWasmKernels, hasRelaxedSimd, type WasmKernelOptions } from './ops/kernels/wasm/gemm-wasm.ts';
export { kernelsByName, type KernelName } from './ops/kernels/by-name.ts';

// Layers (layers.conv, layers.relu, ...), pipelines and what runs them.
/**
 * The layer constructors: each gives a {@link Layer}, an op with a
 * parameter record, an initialisation and a row in the network table.
 * Compose them with {@link serial}; running one needs the kernel set
 * (`apply(params, x, { kernels })`).
 */
export { layers, SPEC_APPLY } from './graph/index.ts';
export type { Layer, LayerBackward, LayerRow, LayerSpec, NoParams, ParamsOf, RunOptions, ConvSpec, PoolSpec, InitScheme } from './graph/index.ts';
export { serial, type Serial, type SerialParams } from './graph/index.ts';
export { seedNetwork, MNIST_SHAPE, type SeedNetwork, type SeedParams, type SeedNetworkOptions } from './graph/index.ts';
export { summarize, formatTable, type NetworkSummary } from './graph/index.ts';
export { valueAndGrad, predict, type Batch, type LossAndGrad, type ValueAndGradOptions } from './graph/index.ts';
export { compile, type Compiled, type CompileOptions, type CompiledStep, type StageTime } from './compile/compile.ts';
export { helperInit, helperPort, serveKernels, type HelperInit, type KernelHelper } from './compile/helper.ts';
export type { WasmMemory } from './ops/kernels/wasm/instantiate.ts';
export { crossEntropyLoss, meanSquaredError, type Loss } from './graph/index.ts';
export {
  sgd, momentum, adam, adamw, optimizerByName, optimizerNames,
  type Optimizer, type OptimizerHyper, type OptimizerName, type Step, type StepOptions, type AdamOptions, type AdamState, type AdamWOptions, type MomentumState,
  type Hyper, type SgdHyper, type SgdState, type MomentumHyper, type AdamSettings, type AdamWSettings,
} from './graph/index.ts';
export { constant, warmupCosine, seedSchedule, stepDecay, type Schedule, type WarmupCosineSpec } from './graph/index.ts';
export { checkGradients, checkLayerGradients, type Checked, type GradCheckOptions, type GradCheckResult, type Inputs, type Mismatch } from './graph/index.ts';
export { mapTree, zipTrees, leaves, fromLeaves, countParams, isTensor, type Tree } from './graph/index.ts';
export { layoutOf, layoutSize, packTree, unpackTree, type Layout } from './graph/index.ts';
export { trace, saliency, type LayerOutput, type Saliency } from './graph/index.ts';
// The backward pass layer by layer, one SGD step on one image, and the arithmetic behind any one value (the demo page and `explain --backward`).
export { backwardTrace, sgdStep, type BackwardTrace, type LayerGradients, type SgdStep } from './graph/index.ts';
export { explainValue, explainGradient, explainParamGradient, explainLoss, type Arithmetic, type Term, type LossArithmetic } from './graph/index.ts';

// Training: the loop, batches, evaluation, recipes.
export {
  fit, initialState, stepsPerEpoch, epochOrder,
  type FitSetup, type FitComputation, type FitPlan, type FitEvents, type FitResult, type RunState, type EpochMetrics,
} from './training/loop.ts';
export { take, makeBatch, argmaxRows, type Images } from './training/batches.ts';
export { evaluate, evaluateAsync, type Evaluation, type EvaluateOptions, type EvaluateAsyncOptions } from './training/evaluate.ts';
export { eagerSource, compiledSource, countCorrect, type Source, type BatchGrad, type BatchStep } from './training/source.ts';
// Data-parallel training over workers of any platform: the page's Web Workers, or Node's (parallelGradients in mnist-cnn-ts/node).
export { workerGradients, type WorkerPort, type WorkerSourceOptions } from './parallel/source.ts';
export { serveGradients } from './parallel/serve.ts';
export type { WorkerInit, NetworkSource, WorkerStep, WorkerTrainStep, WorkerPredict } from './parallel/protocol.ts';
export { presets, MAX_EPOCHS, type TrainConfig, type Preset, type AugmentName } from './training/config.ts';
export { networkFor, optimizerFor, scheduleFor, augmentFor } from './training/recipe.ts';
export { affine, strokes, morph, warp, warpImage, compose, defaultAugment, type Augment, type AffineSpec, type AffineParams } from './training/augment.ts';
export { robustness, formatRobustness, ROBUSTNESS_TESTS, ROBUSTNESS_SEED, type RobustnessReport } from './training/robustness.ts';
export { augmentKey } from './training/loop.ts';

// File formats: safetensors, IDX, this program's weights and checkpoints.
export { encodeSafetensors, decodeSafetensors, expectTensors, type Safetensors } from './formats/safetensors.ts';
export { parseImages, parseLabels, formatDataError, type IdxImages, type IdxLabels, type DataError } from './formats/idx.ts';
export { encodeWeights, decodeWeights, paramsTemplate, FORMAT, ARCHITECTURE } from './training/weights.ts';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './training/checkpoint.ts';

// Pictures: digits in, rasters and charts out.
export { preprocess, preprocessGray, toGray, toInput, type RgbaImage } from './pictures/preprocess.ts';
export {
  digitRaster, filtersRaster, mapsRaster, saliencyRaster, tilesRaster, paramRaster, vectorRaster, layerRaster, tileAt, tileBox, layerIndexAt, paramIndexAt, shortNumber, MAP_LAYERS,
  type TileLayout, type TileRaster,
} from './pictures/maps.ts';
export { predictionGrid, confusionMatrixRaster, type GridOptions } from './pictures/grid.ts';
export { curvesSvg, confusionMatrixSvg, type Series, type Point, type ChartOptions } from './pictures/svg.ts';
export type { Raster } from './pictures/raster.ts';
