// The files of a run directory besides the checkpoint: metrics (JSON, CSV),
// curves (SVG), the first 32 test images with predictions and the confusion
// matrix (PNG and SVG). Each is written atomically.

import { join } from 'node:path';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { confusionMatrixRaster, predictionGrid } from '../pictures/grid.ts';
import { confusionMatrixSvg, curvesSvg } from '../pictures/svg.ts';
import { encodePng } from '../platform/png.ts';
import { writeFileAtomic } from '../platform/atomic-write.ts';
import type { Images } from '../training/batches.ts';
import type { Evaluation } from '../training/evaluate.ts';
import type { EpochMetrics } from '../training/loop.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const csv = (history: readonly EpochMetrics[]): string =>
  ['epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second',
    ...history.map((m) => [m.epoch, m.lr, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy, m.seconds, m.imagesPerSecond].join(','))].join('\n') + '\n';

const curves = (history: readonly EpochMetrics[]): string =>
  curvesSvg(
    [
      { name: 'test accuracy (%)', points: history.map((m) => ({ x: m.epoch, y: 100 * m.testAccuracy })), color: '#1f77b4' },
      { name: 'train accuracy (%)', points: history.map((m) => ({ x: m.epoch, y: 100 * m.trainAccuracy })), color: '#2ca02c' },
    ],
    { title: 'Accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy (%)' },
  );

const lossCurves = (history: readonly EpochMetrics[]): string =>
  curvesSvg(
    [
      { name: 'test loss', points: history.map((m) => ({ x: m.epoch, y: m.testLoss })), color: '#d62728' },
      { name: 'train loss', points: history.map((m) => ({ x: m.epoch, y: m.trainLoss })), color: '#ff7f0e' },
    ],
    { title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'cross-entropy' },
  );

export const writeReports = (
  dir: string,
  history: readonly EpochMetrics[],
  test: Images,
  evaluation: Evaluation,
): TE.TaskEither<string, void> => {
  const shown = Math.min(32, test.count);
  const files: Array<[string, Uint8Array]> = [
    ['metrics.json', text(JSON.stringify(history, null, 2) + '\n')],
    ['metrics.csv', text(csv(history))],
    ['accuracy.svg', text(curves(history))],
    ['loss.svg', text(lossCurves(history))],
    ['predictions.png', encodePng(predictionGrid(test.pixels.subarray(0, shown * 784), test.labels.subarray(0, shown), evaluation.predictions.subarray(0, shown)))],
    ['confusion.png', encodePng(confusionMatrixRaster(evaluation.confusion))],
    ['confusion.svg', text(confusionMatrixSvg(evaluation.confusion))],
  ];
  return pipe(
    files,
    TE.traverseSeqArray(([name, bytes]) => writeFileAtomic(join(dir, name), bytes)),
    TE.map(() => undefined),
  );
};

export const formatConfusion = (m: readonly (readonly number[])[]): string => {
  const w = Math.max(4, ...m.flat().map((v) => String(v).length + 1));
  const head = 'true\\pred' + m.map((_, j) => String(j).padStart(w)).join('');
  return [head, ...m.map((row, i) => String(i).padStart(9) + row.map((v) => String(v).padStart(w)).join(''))].join('\n');
};
