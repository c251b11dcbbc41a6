// predict: PNG files -> MNIST-style 28x28 input -> top-3 classes.

import { basename, extname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Layer, Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { PNG_FILE_LIMIT } from '../formats/limits.ts';
import { preprocess, toInput } from '../pictures/preprocess.ts';
import { decodePng, encodePng } from '../platform/png.ts';
import { makeDirectory, readFileBytes, writeFileAtomic } from '../platform/atomic-write.ts';

/** A PNG file (at most MAX_PNG_FILE_BYTES, MAX_PNG_SIDE a side) as the 28x28 input the network sees. */
export const readDigit = (file: string): TE.TaskEither<string, Uint8Array> =>
  pipe(
    readFileBytes(file, PNG_FILE_LIMIT),
    TE.chainEitherK((bytes) => pipe(decodePng(bytes), E.mapLeft((m) => `${file}: ${m}`))),
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

export const predictFiles = <P extends Tree>(
  net: Layer<P>,
  params: P,
  files: readonly string[],
  saveDir: string | null,
  kernels: Kernels,
): TE.TaskEither<string, readonly string[]> => {
  const names = savedInputNames(files);
  return pipe(
    [...files],
    TE.traverseSeqArrayWithIndex((i, file) =>
      pipe(
        readDigit(file),
        TE.chainFirst((input) =>
          saveDir === null ? TE.right(undefined) : pipe(makeDirectory(saveDir), TE.chain(() => writeFileAtomic(join(saveDir, names[i]!), encodePng(grayRaster(input))))),
        ),
        TE.chainEitherK((input) => {
          const probabilities = classify(net, params, input, kernels);
          return probabilities.every(Number.isFinite) ? E.right({ input, probabilities })
            : E.left(`${file}: the network's output is not finite: the weights overflow float32 on this picture`);
        }),
        TE.map(({ input, probabilities }) => {
          const top = Array.from(probabilities, (probability, label) => ({ label, probability }))
            .sort((a, b) => b.probability - a.probability)
            .slice(0, 3);
          return [...blankWarning(file, input), `${file}: ` + top.map((t) => `${t.label} (${(100 * t.probability).toFixed(1)}%)`).join(', ')];
        }),
      ),
    ),
    TE.map((lines) => [...lines.flat(), ...(saveDir === null ? [] : [`wrote the 28x28 inputs to ${saveDir}: ${names.join(', ')}`])]),
  );
};
