// Test-set evaluation: loss, accuracy, confusion matrix and every prediction.

import type { Layer, Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { softmaxCrossEntropy } from '../ops/cross-entropy.ts';
import { argmaxRows, makeBatch, type Images } from './batches.ts';

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  /** confusion[true][predicted] */
  readonly confusion: number[][];
  readonly predictions: Uint8Array;
}

export const evaluate = <P extends Tree>(net: Layer<P>, params: P, data: Images, kernels?: Kernels, batchSize = 250): Evaluation => {
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const predictions = new Uint8Array(data.count);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const end = Math.min(data.count, start + batchSize);
    const { x, labels } = makeBatch(data, null, start, end);
    const logits = net.apply(params, x, kernels).out;
    lossSum += softmaxCrossEntropy(logits, labels).out * (end - start);
    const pred = argmaxRows(logits);
    predictions.set(pred, start);
    for (let i = 0; i < pred.length; i++) {
      confusion[labels[i]!]![pred[i]!]! += 1;
      if (pred[i] === labels[i]) correct++;
    }
  }
  return { loss: lossSum / data.count, accuracy: correct / data.count, confusion, predictions };
};
