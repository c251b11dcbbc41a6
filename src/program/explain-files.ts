// The `explain` command: for one picture, the pictures the demo page shows,
// as PNG files: the 28x28 input the network saw, the first conv layer's
// filters, the maps after every ReLU and max pool that gives maps, and the
// saliency of every class; with --backward also the backward pass and one
// SGD step (explain-backward.ts). Any serial network (--network) is drawn by
// the same rules; for the seed network they give conv1's filters and the
// maps of relu1, pool1, relu2, pool2 and relu3, the page's.

import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import { leaves, saliency, trace, type Layer, type Serial, type SerialParams, type Tree } from '../graph/index.ts';
import { specOf } from '../graph/layer.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { digitRaster, filtersRaster, mapsRaster, saliencyRaster } from '../pictures/maps.ts';
import { toInput } from '../pictures/preprocess.ts';
import type { Raster } from '../pictures/raster.ts';
import { makeDirectory, writeFileAtomic } from '../platform/atomic-write.ts';
import { encodePng } from '../platform/png.ts';
import { backwardPictures, type BackwardOptions } from './explain-backward.ts';
import { blankWarning, readDigit } from './predict.ts';

/** The layers of a serial network, whose layers explain runs one by one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLayers = Record<string, Layer<any>>;
type AnySerial = Serial<AnyLayers>;

/** The network as a serial one, or null when it is not (explain draws a serial network's layers). */
export const asSerial = (net: Layer<Tree>): AnySerial | null => {
  const layers = (net as Partial<AnySerial>).layers;
  return typeof layers === 'object' && layers !== null ? (net as unknown as AnySerial) : null;
};

/** The pictures of one input, by file name. */
export const explainPictures = <L extends AnyLayers>(net: Serial<L>, params: SerialParams<L>, input: Uint8Array, kernels: Kernels): {
  readonly probabilities: Float32Array;
  readonly pictures: ReadonlyArray<readonly [string, Raster]>;
} => {
  const x = toInput(input);
  const outs = trace(net, params, x, { kernels });
  const probabilities = Float32Array.from(softmax(outs[outs.length - 1]!.out).out.data);
  // Maps after every ReLU and max pool whose output is maps [n, h, w, c].
  const maps = outs
    .filter((o) => o.out.shape.length === 4 && ['relu', 'maxPool'].includes(specOf(net.layers[o.name])?.op ?? ''))
    .map((o) => [`${o.name}.png`, mapsRaster(o.out)] as const);
  // The first conv's filters, when it reads one channel (the input's): [kh, kw, 1, filters].
  const first = leaves(params).find(([, w]) => w.shape.length === 4);
  const filters = first !== undefined && first[1].shape[2] === 1 ? [['filters.png', filtersRaster(first[1])] as const] : [];
  const saliencies = Array.from({ length: probabilities.length }, (_, c) =>
    [`saliency-${c}.png`, saliencyRaster(input, saliency(net, params, x, c, { kernels }).gradient.data, 8)] as const);
  return {
    probabilities,
    pictures: [
      ['input.png', digitRaster(input, 8)],
      ...filters,
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
export const explainFile = <L extends AnyLayers>(
  net: Serial<L>, params: SerialParams<L>, image: string, outDir: string, kernels: Kernels, backward: BackwardOptions | null = null,
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
