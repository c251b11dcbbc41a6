// predict: PNG files -> MNIST-style 28x28 input -> top-3 classes.

import { basename, extname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Layer, Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { preprocess, toInput } from '../pictures/preprocess.ts';
import { decodePng, encodePng } from '../platform/png.ts';
import { makeDirectory, readFileBytes, writeFileAtomic } from '../platform/atomic-write.ts';

export interface Prediction {
  readonly file: string;
  readonly top: ReadonlyArray<{ readonly label: number; readonly probability: number }>;
  readonly input: Uint8Array;
}

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

export const predictFiles = <P extends Tree>(
  net: Layer<P>,
  params: P,
  files: readonly string[],
  saveDir: string | null,
  kernels: Kernels,
): TE.TaskEither<string, readonly string[]> =>
  pipe(
    [...files],
    TE.traverseSeqArray((file) =>
      pipe(
        readFileBytes(file),
        TE.chainEitherK((bytes) => pipe(decodePng(bytes), E.mapLeft((m) => `${file}: ${m}`))),
        TE.map((img) => {
          const input = preprocess(img);
          const p = classify(net, params, input, kernels);
          const top = Array.from(p, (probability, label) => ({ label, probability }))
            .sort((a, b) => b.probability - a.probability)
            .slice(0, 3);
          return { file, top, input };
        }),
        TE.chainFirst((pred) => {
          if (saveDir === null) return TE.right(undefined);
          const out = join(saveDir, `${basename(pred.file, extname(pred.file))}-28x28.png`);
          return pipe(makeDirectory(saveDir), TE.chain(() => writeFileAtomic(out, encodePng(grayRaster(pred.input)))));
        }),
        TE.map((pred) => `${pred.file}: ` + pred.top.map((t) => `${t.label} (${(100 * t.probability).toFixed(1)}%)`).join(', ')),
      ),
    ),
  );
