// predict: PNG files -> MNIST-style 28x28 input -> top-3 classes, each
// picture on its own (one that cannot be read does not cost the others).

import { basename, extname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as T from 'fp-ts/lib/Task.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Layer, Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { PNG_FILE_LIMIT } from '../formats/limits.ts';
import { preprocess, toInput } from '../pictures/preprocess.ts';
import { decodePng, encodePng } from '../platform/png.ts';
import { makeDirectory, readFileBytes, writeFileAtomic } from '../platform/atomic-write.ts';
import { notAnImage } from './file-kind.ts';

/**
 * A PNG file (at most MAX_PNG_FILE_BYTES, MAX_PNG_SIDE a side) as the 28x28
 * input the network sees; a model file in its place is named as one.
 */
export const readDigit = (file: string): TE.TaskEither<string, Uint8Array> =>
  pipe(
    readFileBytes(file, PNG_FILE_LIMIT),
    TE.chainEitherK((bytes) => pipe(decodePng(bytes), E.mapLeft((m) => notAnImage(file, bytes) ?? `${file}: ${m}`))),
    TE.map(preprocess),
  );

/** The warning line for a picture in which preprocessing found no digit (blank, one colour, 1x1, too faint): the network sees an empty field. */
export const blankWarning = (file: string, input: Uint8Array): readonly string[] =>
  input.every((v) => v === 0) ? [`${file}: warning: no digit found (a blank picture, or too little contrast); the network sees an empty field`] : [];

/** Class probabilities for one 28x28 gray image (0 = background, 255 = ink). */
export const classify = <P extends Tree>(net: Layer<P>, params: P, gray: Uint8Array, kernels: Kernels): Float32Array => {
  const logits = net.apply(params, toInput(gray), { kernels }).out;
  return Float32Array.from(softmax(logits).out.data);
};

const grayRaster = (g: Uint8Array) => {
  const rgba = new Uint8ClampedArray(784 * 4);
  for (let i = 0; i < 784; i++) rgba.set([g[i]!, g[i]!, g[i]!, 255], i * 4);
  return { width: 28, height: 28, rgba };
};

/**
 * The file names `--save-input` writes: `<base>-28x28.png`, or
 * `<base>-2-28x28.png` and so on when an earlier input took that name (two
 * inputs of the same base name from two directories, or one given twice).
 * Compared without case, as a case-insensitive file system would.
 */
export const savedInputNames = (files: readonly string[]): string[] => {
  const taken = new Set<string>();
  return files.map((file) => {
    const base = basename(file, extname(file));
    let name = `${base}-28x28.png`;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base}-${k}-28x28.png`;
    taken.add(name.toLowerCase());
    return name;
  });
};

/** What predict found: per picture, in order, its lines (a warning, then its top three) or why it failed. */
export interface Predictions {
  readonly results: ReadonlyArray<E.Either<string, readonly string[]>>;
  /** The line naming the inputs `--save-input` wrote, when it wrote any. */
  readonly saved: string | null;
}

/**
 * The top three classes of each picture in `files`, each on its own: a
 * picture that cannot be read (or written to `saveDir`) is one failure among
 * the answers. Left only when `saveDir` cannot be made.
 */
export const predictFiles = <P extends Tree>(
  net: Layer<P>,
  params: P,
  files: readonly string[],
  saveDir: string | null,
  kernels: Kernels,
): TE.TaskEither<string, Predictions> => {
  const names = savedInputNames(files);
  const one = (file: string, i: number): TE.TaskEither<string, readonly string[]> =>
    pipe(
      readDigit(file),
      TE.chainEitherK((input) => {
        const probabilities = classify(net, params, input, kernels);
        return probabilities.every(Number.isFinite) ? E.right({ input, probabilities })
          : E.left(`${file}: the network's output is not finite: the weights overflow float32 on this picture`);
      }),
      // Saved last, so that a picture's input is written exactly when it is answered.
      TE.chainFirst(({ input }) => (saveDir === null ? TE.right(undefined) : writeFileAtomic(join(saveDir, names[i]!), encodePng(grayRaster(input))))),
      TE.map(({ input, probabilities }) => {
        const top = Array.from(probabilities, (probability, label) => ({ label, probability }))
          .sort((a, b) => b.probability - a.probability)
          .slice(0, 3);
        return [...blankWarning(file, input), `${file}: ` + top.map((t) => `${t.label} (${(100 * t.probability).toFixed(1)}%)`).join(', ')];
      }),
    );
  return pipe(
    saveDir === null ? TE.right(undefined) : makeDirectory(saveDir),
    TE.chain(() => TE.fromTask(T.sequenceSeqArray(files.map((file, i) => one(file, i))))),
    TE.map((results) => {
      const written = names.filter((_, i) => E.isRight(results[i]!));
      return { results, saved: saveDir === null || written.length === 0 ? null : `wrote the 28x28 inputs to ${saveDir}: ${written.join(', ')}` };
    }),
  );
};
