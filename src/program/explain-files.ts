// The `explain` command: for one picture, the pictures the demo page shows,
// as PNG files: the 28x28 input the network saw, conv1's filters, the maps
// after every conv block and pool, and the saliency of every class; with
// --backward also the backward pass and one SGD step (explain-backward.ts).

import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import { saliency, trace, type SeedNetwork, type SeedParams } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { digitRaster, filtersRaster, MAP_LAYERS, mapsRaster, saliencyRaster } from '../pictures/maps.ts';
import { toInput } from '../pictures/preprocess.ts';
import type { Raster } from '../pictures/raster.ts';
import { makeDirectory, writeFileAtomic } from '../platform/atomic-write.ts';
import { encodePng } from '../platform/png.ts';
import { backwardPictures, type BackwardOptions } from './explain-backward.ts';
import { blankWarning, readDigit } from './predict.ts';

/** The pictures of one input, by file name. */
export const explainPictures = (net: SeedNetwork, params: SeedParams, input: Uint8Array, kernels: Kernels): {
  readonly probabilities: Float32Array;
  readonly pictures: ReadonlyArray<readonly [string, Raster]>;
} => {
  const x = toInput(input);
  const outs = new Map(trace(net, params, x, { kernels }).map((o) => [o.name, o.out] as const));
  const probabilities = Float32Array.from(softmax(outs.get('dense2')!).out.data);
  const maps = MAP_LAYERS.map((name) => [`${name}.png`, mapsRaster(outs.get(name)!)] as const);
  const saliencies = Array.from({ length: 10 }, (_, c) =>
    [`saliency-${c}.png`, saliencyRaster(input, saliency(net, params, x, c, { kernels }).gradient.data, 8)] as const);
  return {
    probabilities,
    pictures: [
      ['input.png', digitRaster(input, 8)],
      ['filters.png', filtersRaster(params.conv1.w)],
      ...maps,
      ...saliencies,
    ],
  };
};

/**
 * Reads the PNG, writes the pictures into `outDir` (with `backward`, also the
 * backward pass, one SGD step's update and backward.json), and returns the
 * lines to print.
 */
export const explainFile = (
  net: SeedNetwork, params: SeedParams, image: string, outDir: string, kernels: Kernels, backward: BackwardOptions | null = null,
): TE.TaskEither<string, readonly string[]> =>
  pipe(
    readDigit(image),
    TE.map((input) => {
      const forward = explainPictures(net, params, input, kernels);
      const back = backward === null ? null : backwardPictures(net, params, input, backward, kernels);
      return { warning: blankWarning(image, input), probabilities: forward.probabilities, pictures: [...forward.pictures, ...(back?.pictures ?? [])], report: back?.report ?? null };
    }),
    TE.chainFirst(() => makeDirectory(outDir)),
    TE.chainFirst(({ report }) => (report === null ? TE.right(undefined) : writeFileAtomic(join(outDir, 'backward.json'), new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n')))),
    TE.chain(({ warning, probabilities, pictures, report }) =>
      pipe(
        [...pictures],
        TE.traverseSeqArray(([name, raster]) => writeFileAtomic(join(outDir, name), encodePng(raster))),
        TE.map(() => {
          const top = Array.from(probabilities, (p, label) => ({ label, p })).sort((a, b) => b.p - a.p);
          const step = report === null ? null : (report as { label: number; step: { lr: number; lossBefore: number; lossAfter: number; predictionAfter: number } });
          return [
            ...warning,
            `${image}: ${top.slice(0, 3).map((t) => `${t.label} (${(100 * t.p).toFixed(1)}%)`).join(', ')}`,
            `wrote ${pictures.length} pictures to ${outDir}: ${pictures.map(([n]) => n).join(', ')}`,
            `saliency-${top[0]!.label}.png is the predicted class's: red where more ink raises its score, blue where it lowers it`,
            ...(step === null ? [] : [
              `backward pass for label ${step.label}: backward-<layer>.png is dLoss/dOut, grad-<layer>.<w|b>.png dLoss/dParams (red positive, blue negative, range under each)`,
              `one SGD step at lr ${step.step.lr}: loss ${step.step.lossBefore.toPrecision(4)} -> ${step.step.lossAfter.toPrecision(4)}, prediction after it ${step.step.predictionAfter}; step.png, update-<param>.png and backward.json`,
            ]),
          ];
        }),
      ),
    ),
  );
