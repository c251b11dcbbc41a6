// `explain --backward`: the page's backward pass and one teaching step as
// files, for a terminal and for slides: dLoss/dOut of every layer and
// dLoss/dParams of every parameter (PNG), the update one SGD step on the
// picture would make and its effect on the probabilities (PNG), and a
// report of the numbers (JSON).

import type { Tensor } from '../core/tensor.ts';
import { explainLoss } from '../graph/arithmetic.ts';
import { backwardTrace, sgdStep, type Serial, type SerialParams } from '../graph/index.ts';
import type { AnyLayers } from './explain-files.ts';
import { leaves } from '../graph/tree.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmax } from '../ops/softmax.ts';
import { layerRaster, paramRaster, shortNumber, titled } from '../pictures/maps.ts';
import { toInput } from '../pictures/preprocess.ts';
import { argmaxRows } from '../training/batches.ts';
import { BLACK, createRaster, drawText, drawTextCentered, fillRect, GRAY, RED, textHeight, type Raster, type Rgb } from '../pictures/raster.ts';

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

const BLUE: Rgb = [74, 120, 194];

/** step.png: the ten probabilities before and after the step as bars, the label's in red, under the step's numbers. */
const stepRaster = (lines: readonly string[], before: readonly number[], after: readonly number[], label: number): Raster => {
  const s = 2, line = textHeight(s) + 8, barH = 120, col = 44, m = 12;
  const chartTop = m + lines.length * line + 8;
  const r = createRaster(Math.max(2 * (10 * col + m) + m, 620), chartTop + line + barH + 2 * line + m);
  lines.forEach((t, i) => drawText(r, t, m, m + i * line, BLACK, s));
  [['before', before], ['after', after]].forEach(([name, p], k) => {
    const x0 = m + k * (10 * col + m);
    drawText(r, name as string, x0, chartTop, GRAY, s);
    const base = chartTop + line + barH;
    fillRect(r, x0, base, 10 * col, 1, GRAY);
    (p as readonly number[]).forEach((q, c) => {
      const h = Math.round(q * barH);
      fillRect(r, x0 + c * col + 6, base - h, col - 12, h, c === label ? RED : BLUE);
      drawTextCentered(r, String(c), x0 + c * col + col / 2, base + 6, c === label ? RED : BLACK, s);
    });
  });
  return r;
};

/** The backward pictures and the report of one input. */
export const backwardPictures = <L extends AnyLayers>(net: Serial<L>, params: SerialParams<L>, input: Uint8Array, options: BackwardOptions, kernels: Kernels): {
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
    ['step.png', stepRaster([
      `one SGD step, lr ${options.lr}, label ${label}`,
      // The 5x7 font has no '>': "to", not an arrow.
      `loss ${step.before.loss.toPrecision(4)} to ${step.after.loss.toPrecision(4)}`,
      `p(${label}) ${shortNumber(bt.probabilities.data[label]!)} to ${shortNumber(after[label]!)}`,
      `prediction ${prediction} to ${argmaxRows(step.after.logits)[0]!}`,
    ], Array.from(bt.probabilities.data), after, label)],
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
