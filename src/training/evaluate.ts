// Test-set evaluation: loss, accuracy, confusion matrix and every prediction.

import { aFunction, imagesArg, layerArg, optionsBag, positiveInt, runOptions } from '../core/check.ts';
import { foldIn, type Key } from '../core/random.ts';
import type { Tensor } from '../core/tensor.ts';
import type { Layer, RunOptions, Tree } from '../graph/index.ts';
import type { Augment } from './augment.ts';
import { softmaxCrossEntropy } from '../ops/cross-entropy.ts';
import { argmaxRows, makeBatch, type Images } from './batches.ts';

/** How a network does on a labelled set. */
export interface Evaluation {
  /** Mean softmax cross-entropy of the logits. */
  readonly loss: number;
  /** The fraction predicted right, 0 to 1. */
  readonly accuracy: number;
  /** confusion[true][predicted] */
  readonly confusion: number[][];
  /** The predicted class of every image, in order. */
  readonly predictions: Uint8Array;
}

export interface EvaluateOptions<P extends Tree = Tree> extends RunOptions {
  /** How the logits of a batch are computed: by default `net.apply` on `kernels`; pass a compiled network's `predict` ({@link Compile.compile}). */
  readonly predict?: (params: P, x: Tensor) => Tensor;
  /** Images per forward pass; default 250. */
  readonly batchSize?: number;
  /** Evaluate transformed copies instead: the batch from image `start` on gets the key foldIn(key, start), so the copies are fixed by the key and the batch size. */
  readonly transform?: { readonly augment: Augment; readonly key: Key };
}

/** What {@link evaluateAsync} takes: `predict` may give its logits later (worker threads). */
export interface EvaluateAsyncOptions<P extends Tree = Tree> extends Omit<EvaluateOptions<P>, 'predict'> {
  /** How the logits of a batch are computed, now or later; by default `net.apply` on `kernels`. */
  readonly predict?: (params: P, x: Tensor) => Tensor | Promise<Tensor>;
}

/** The batches of an evaluation and the running sums over their logits; both evaluate and evaluateAsync fill it. */
const tally = (data: Images, { batchSize = 250, transform }: { readonly batchSize?: number; readonly transform?: EvaluateOptions['transform'] }) => {
  let confusion: number[][] = [];
  const predictions = new Uint8Array(data.count);
  let lossSum = 0;
  let correct = 0;
  const batches = function* () {
    for (let start = 0; start < data.count; start += batchSize) {
      const end = Math.min(data.count, start + batchSize);
      const batch = makeBatch(data, null, start, end);
      yield { start, end, labels: batch.labels, x: transform === undefined ? batch.x : transform.augment(foldIn(transform.key, start), batch.x) };
    }
  };
  const add = ({ start, end, labels }: { readonly start: number; readonly end: number; readonly labels: ArrayLike<number> }, logits: Tensor): void => {
    if (confusion.length === 0) confusion = Array.from({ length: logits.shape[1]! }, () => new Array<number>(logits.shape[1]!).fill(0));
    lossSum += softmaxCrossEntropy(logits, labels).out * (end - start);
    const pred = argmaxRows(logits);
    predictions.set(pred, start);
    for (let i = 0; i < pred.length; i++) {
      confusion[labels[i]!]![pred[i]!]! += 1;
      if (pred[i] === labels[i]) correct++;
    }
  };
  const result = (): Evaluation => ({ loss: lossSum / data.count, accuracy: correct / data.count, confusion, predictions });
  return { batches, add, result };
};

// What both evaluations check first: an empty set has no loss or accuracy, so it is refused rather than given NaN.
const checkEvaluate = (fn: string, net: unknown, data: unknown, options: unknown): void => {
  layerArg(fn, 'net', net);
  imagesArg(fn, 'data', data, 'the set');
  runOptions(fn, options, '{ kernels, predict?, batchSize?, transform? }');
  const o = options as Record<string, unknown>;
  if (o['predict'] !== undefined) aFunction(fn, 'options.predict', o['predict']);
  if (o['batchSize'] !== undefined) positiveInt(fn, 'options.batchSize', o['batchSize']);
  if (o['transform'] !== undefined) aFunction(fn, 'options.transform.augment', optionsBag(fn, 'options.transform', o['transform'], '{ augment, key }')['augment']);
};

/**
 * Loss, accuracy, confusion matrix and predictions of `net` on a labelled
 * set, in batches of `batchSize`. The network must take [n, rows, cols, 1]
 * pixels / 255 and give logits [n, classes]. An empty set, a missing kernel
 * set or a batch size that is not a positive integer is an `ArgumentError`.
 */
export const evaluate = <P extends Tree>(net: Layer<P>, params: P, data: Images, options: EvaluateOptions<P>): Evaluation => {
  checkEvaluate('evaluate', net, data, options);
  const t = tally(data, options);
  const run = options.predict ?? ((p: P, x: Tensor) => net.apply(p, x, { kernels: options.kernels }).out);
  for (const b of t.batches()) t.add(b, run(params, b.x));
  return t.result();
};

/**
 * {@link evaluate} with a `predict` that may answer later: the batches go
 * to it one at a time (to worker threads, say, as `parallelGradients`'
 * `predict` in `mnist-cnn-ts/node`), with the same results.
 */
export const evaluateAsync = async <P extends Tree>(net: Layer<P>, params: P, data: Images, options: EvaluateAsyncOptions<P>): Promise<Evaluation> => {
  checkEvaluate('evaluateAsync', net, data, options);
  const t = tally(data, options);
  const run = options.predict ?? ((p: P, x: Tensor) => net.apply(p, x, { kernels: options.kernels }).out);
  for (const b of t.batches()) t.add(b, await run(params, b.x));
  return t.result();
};
