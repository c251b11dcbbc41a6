// Cross-entropy losses, averaged over the batch. `crossEntropy` takes
// probabilities (the reference's softmax-then-log); `softmaxCrossEntropy`
// takes logits and is the fused, stable form: finite for logits of ±1e4,
// with dL/dlogits = (softmax - onehot) / n.

import { expectRank, ShapeError, showShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import type { Labels, Op, OpOptions } from './op.ts';
import { logSoftmaxRows } from './softmax.ts';

const checkLabels = (op: string, x: Tensor, labels: Labels): [number, number] => {
  expectRank(op, 'input [n, classes]', x.shape, 2);
  const [n, c] = x.shape as [number, number];
  if (labels.length !== n) {
    throw new ShapeError(`${op}: ${labels.length} labels for input ${showShape(x.shape)}`);
  }
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= c) throw new RangeError(`${op}: label ${l} is not a class of input ${showShape(x.shape)}`);
  }
  return [n, c];
};

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
