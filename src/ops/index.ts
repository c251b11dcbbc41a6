// The op library: each op returns its output and a backward closure.

export type { Labels, Op, OpOptions } from './op.ts';
export { conv2d, padAll, windowOutput, type Conv2dOptions, type Padding } from './conv2d.ts';
export { maxPool2d, type MaxPoolOptions } from './max-pool2d.ts';
export { untiedBias } from './untied-bias.ts';
export { bias } from './bias.ts';
export { relu } from './relu.ts';
export { reshapeOp, flatten } from './reshape.ts';
export { dense } from './dense.ts';
export { softmax, logSoftmax } from './softmax.ts';
export { crossEntropy, softmaxCrossEntropy } from './cross-entropy.ts';
export { jsKernels, referenceKernels, type Gemm, type Kernels } from './kernels/index.ts';
