/**
 * Layers and networks. A layer is an op with a parameter record, an
 * initialisation and a row in the network table; `serial` composes layers
 * into a layer. Parameters are readonly trees of tensors. The seed network
 * is the reference's CNN (docs/reference-network.md). Import them from
 * `mnist-cnn-ts`.
 *
 * @module Layers
 */

/**
 * The layer constructors: each gives a {@link Layer}. Compose them with
 * {@link serial}; running one needs the kernel set
 * (`apply(params, x, { kernels })`).
 */
export { layers } from '../graph/index.ts';
export type { Layer, LayerBackward, LayerRow, LayerSpec, NoParams, ParamsOf, RunOptions, ConvSpec, PoolSpec, InitScheme } from '../graph/index.ts';
export { serial, type Serial, type SerialParams } from '../graph/index.ts';
export { seedNetwork, MNIST_SHAPE, type SeedNetwork, type SeedParams, type SeedNetworkOptions } from '../graph/index.ts';
export { summarize, formatTable, type NetworkSummary } from '../graph/index.ts';
export { mapTree, zipTrees, leaves, fromLeaves, countParams, isTensor, type Tree } from '../graph/index.ts';
