// Cross-entropy losses, averaged over the batch. `crossEntropy` takes
// probabilities (the reference's softmax-then-log); `softmaxCrossEntropy`
// takes logits and is the fused, stable form: finite for logits of ±1e4,
// with dL/dlogits = (softmax - onehot) / n.

import { ArgumentError, describeValue, tensorArg } from '../core/check.ts';
import { expectRank, ShapeError, showShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import type { Labels, Op, OpOptions } from './op.ts';
import { logSoftmaxRows } from './softmax.ts';

// The mean over a batch of no examples would be 0 / 0: refused, as labels that are not classes are.
const checkLabels = (op: string, x: Tensor, labels: Labels): [number, number] => {
  tensorArg(op, 'input', x);
  expectRank(op, 'input [n, classes]', x.shape, 2);
  const [n, c] = x.shape as [number, number];
  if (typeof labels !== 'object' || labels === null || typeof labels.length !== 'number') {
    throw new ArgumentError(`${op}: labels must be an array of class indices, got ${describeValue(labels)}`);
  }
  if (n === 0) throw new ArgumentError(`${op}: the batch holds no examples (input ${showShape(x.shape)})`);
  if (labels.length !== n) {
    throw new ShapeError(`${op}: ${labels.length} labels for input ${showShape(x.shape)}`);
  }
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= c) throw new ArgumentError(`${op}: label ${l} is not a class of input ${showShape(x.shape)}`);
  }
  return [n, c];
};

/**
 * Cross-entropy of probabilities p [n, classes] (a softmax's output) with
 * integer labels: the mean over the batch of -log p[i, label i], the
 * reference's form. A probability of 0 at the label gives Infinity; on
 * logits, {@link softmaxCrossEntropy} is the stable choice. `backward(dl)`
 * takes the loss's cotangent (1 for the loss itself) and gives `{ p }`.
 * `kernels` is accepted and unused.
 *
 * Throws a ShapeError when p is not rank 2 or there are not n labels; a
 * RangeError for a label that is not an integer in 0..classes-1.
 *
 * @example
 * const p = fromArray([2, 2], [0.5, 0.5, 0.1, 0.9]);
 * const { out, backward } = ops.crossEntropy(p, [0, 1]);
 * out;                        // 0.399 (about): (-log 0.5 - log 0.9) / 2
 * toArray(backward(1).p);     // [-1, 0, 0, -0.556] (about): -1 / (n p) at each label
 */
export const crossEntropy = (p: Tensor, labels: Labels, _options: OpOptions = {}): Op<number, { readonly p: Tensor }> => {
  const [n, c] = checkLabels('crossEntropy', p, labels);
  let loss = 0;
  for (let i = 0; i < n; i++) loss -= Math.log(p.data[i * c + labels[i]!]!);
  return {
    out: loss / n,
    backward: (dl) => {
      const dp = alloc(dtypeOf(p), n * c);
      for (let i = 0; i < n; i++) dp[i * c + labels[i]!] = -dl / (n * p.data[i * c + labels[i]!]!);
      return { p: tensor(p.shape, dp) };
    },
  };
};

/**
 * Softmax cross-entropy of logits [n, classes] with integer labels, the
 * mean over the batch; fused through a float64 log-softmax, so finite for
 * logits of ±1e4. `backward(dl)` takes the loss's cotangent (1 for the loss
 * itself) and gives `{ logits }` = dl · (softmax(logits) - onehot) / n.
 * `kernels` is accepted and unused.
 *
 * Throws a ShapeError when logits is not rank 2 or there are not n labels;
 * an ArgumentError (a RangeError) for a label that is not an integer in
 * 0..classes-1 or a batch of no examples.
 *
 * @example
 * const { out, backward } = ops.softmaxCrossEntropy(fromArray([1, 3], [0, 0, 0]), [2]);
 * out;                             // 1.0986 (about): log 3
 * toArray(backward(1).logits);     // [0.333, 0.333, -0.667] (about)
 */
export const softmaxCrossEntropy = (logits: Tensor, labels: Labels, _options: OpOptions = {}): Op<number, { readonly logits: Tensor }> => {
  const [n, c] = checkLabels('softmaxCrossEntropy', logits, labels);
  const logp = alloc('float64', n * c);
  logSoftmaxRows(logits.data, c, logp);
  let loss = 0;
  for (let i = 0; i < n; i++) loss -= logp[i * c + labels[i]!]!;
  return {
    out: loss / n,
    backward: (dl) => {
      const d = alloc(dtypeOf(logits), n * c);
      const s = dl / n;
      for (let i = 0; i < d.length; i++) d[i] = Math.exp(logp[i]!) * s;
      for (let i = 0; i < n; i++) d[i * c + labels[i]!] -= s;
      return { logits: tensor(logits.shape, d) };
    },
  };
};
