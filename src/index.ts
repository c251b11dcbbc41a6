/**
 * mnist-cnn-ts: the library. A small functional deep-learning library for
 * convolutional networks, written from scratch: tensors, ops that return
 * their output with a backward closure, layers and pipelines, pure
 * optimizers, a gradient checker, the training loop, a compiler to
 * WebAssembly, file formats and pictures. Nothing here imports Node: it runs
 * in Node and in a browser alike. The Node-only parts (worker threads,
 * files) are `mnist-cnn-ts/node`.
 *
 * Each group below is one page of the API documentation.
 *
 * @module mnist-cnn-ts
 */

export * from './api/tensors.ts';
export * from './api/ops.ts';
export * from './api/layers.ts';
export * from './api/gradients.ts';
export * from './api/optimizers.ts';
export * from './api/training.ts';
export * from './api/compiled.ts';
export * from './api/inspect.ts';
export * from './api/formats.ts';
export * from './api/pictures.ts';
