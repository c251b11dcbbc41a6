// `explain --backward`: the page's backward pass and one teaching step as
// files, for a terminal and for slides: dLoss/dOut of every layer and
// dLoss/dParams of every parameter (PNG), the update one SGD step on the
// picture would make (PNG), and a report of the numbers (JSON).

import type { Tensor } from '../core/tensor.ts';
import { explainLoss } from '../graph/arithmetic.ts';
import { backwardTrace, sgdStep, type SeedNetwork, type SeedParams } from '../graph/index.ts';
import { leaves } from '../graph/tree.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { layerRaster, paramRaster, titled } from '../pictures/maps.ts';
import { toInput } from '../pictures/preprocess.ts';
import { argmaxRows } from '../training/batches.ts';
import type { Raster } from '../pictures/raster.ts';

/** What `explain --backward` adds: the label (null: the prediction) and the step's learning rate. */
export interface BackwardOptions {
  readonly label: number | null;
  readonly lr: number;
}

const stats = (t: Tensor) => {
  let max = 0, sum = 0;
  for (const v of t.data) {
    max = Math.max(max, Math.abs(v));
    sum += Math.abs(v);
  }
  return { maxAbs: max, meanAbs: sum / t.data.length };
};

/** The backward pictures and the report of one input. */
export const backwardPictures = (net: SeedNetwork, params: SeedParams, input: Uint8Array, options: BackwardOptions, kernels: Kernels): {
  readonly report: Record<string, unknown>;
  readonly pictures: ReadonlyArray<readonly [string, Raster]>;
} => {
  const x = toInput(input);
  const logits = net.apply(params, x, { kernels }).out;
  const prediction = argmaxRows(logits)[0]!;
  const label = options.label ?? prediction;
  const bt = backwardTrace(net, params, x, [label], { kernels });
  const step = sgdStep(net, params, { x, labels: [label] }, options.lr, { kernels });
  const after = Array.from(softmax(step.after.logits).out.data);
  const weights = new Map(leaves(params));
  const layers = bt.layers.filter((l) => l.name !== 'flatten');
  const pictures: Array<readonly [string, Raster]> = [
    ...layers.map((l) => [`backward-${l.name}.png`, titled(layerRaster(l.dOut, true), `dLoss/dOut of ${l.name} (label ${label})`)] as const),
    ...layers.flatMap((l) => leaves(l.dParams).map(([leaf, g]) => [`grad-${l.name}.${leaf}.png`, titled(paramRaster(g), `dLoss/d${leaf} of ${l.name}`)] as const)),
    ...leaves(step.update).map(([path, u]) => [`update-${path}.png`, titled(paramRaster(u), `${path}: one SGD step, lr ${options.lr}`)] as const),
  ];
  const report = {
    label,
    labelFrom: options.label === null ? 'the prediction' : '--label',
    prediction,
    probabilities: Array.from(bt.probabilities.data),
    loss: explainLoss(bt.logits, 0, label),
    layers: layers.map((l) => ({
      name: l.name,
      outShape: l.out.shape.slice(1),
      dOut: stats(l.dOut),
      dParams: Object.fromEntries(leaves(l.dParams).map(([leaf, g]) => [leaf, { shape: g.shape, ...stats(g) }])),
    })),
    step: {
      rule: 'p <- p - lr * dLoss/dp (the library\'s sgd, one step on this picture and label)',
      lr: options.lr,
      lossBefore: step.before.loss,
      lossAfter: step.after.loss,
      predictionAfter: argmaxRows(step.after.logits)[0]!,
      probabilitiesAfter: after,
      updates: Object.fromEntries(leaves(step.update).map(([path, u]) => {
        const s = stats(u);
        const w = stats(weights.get(path)!).meanAbs;
        // Mean |update| / mean |weight|; null for weights that are all zero (fresh biases).
        return [path, { ...s, updateToWeight: w > 0 ? s.meanAbs / w : null }];
      })),
    },
    files: pictures.map(([name]) => name),
  };
  return { report, pictures };
};
