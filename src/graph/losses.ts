// Losses for valueAndGrad: a loss takes the network's output and the batch's
// targets and returns a scalar with a backward closure whose cotangent is
// named `out`. Both average over the batch.

import { aFunction, ArgumentError, describeValue, tensorArg } from '../core/check.ts';
import { expectSameShape, showShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Tensor } from '../core/tensor.ts';
import { softmaxCrossEntropy } from '../ops/cross-entropy.ts';
import type { Labels, Op, OpOptions } from '../ops/op.ts';

/** A loss: (network output, targets) -> scalar, with d loss / d output. */
export type Loss<T> = (out: Tensor, targets: T, options?: OpOptions) => Op<number, { readonly out: Tensor }>;

/**
 * Softmax cross-entropy of logits [n, classes] with integer labels, the mean
 * over the batch; fused and stable (finite for logits of ±1e4). The default
 * loss of valueAndGrad. Throws as {@link Ops.ops.softmaxCrossEntropy} does.
 *
 * @example
 * const l = crossEntropyLoss(fromArray([1, 3], [2, 0, -1]), [0], {});
 * l.out;                       // 0.17 (about)
 * toArray(l.backward(1).out);  // [-0.156, 0.114, 0.042] (about): softmax - one-hot
 */
export const crossEntropyLoss: Loss<Labels> = (out, labels, options) => {
  const op = softmaxCrossEntropy(out, labels, options);
  return { out: op.out, backward: (d) => ({ out: op.backward(d).logits }) };
};

/**
 * Mean squared error: the mean over the batch of sum_j (out_j - target_j)^2 / 2,
 * targets shaped like the output. Throws a ShapeError when they are not, an
 * ArgumentError for a batch of no examples.
 *
 * @example
 * const l = meanSquaredError(fromArray([1, 2], [1, 2]), fromArray([1, 2], [0, 0]), {});
 * l.out;                       // 2.5
 */
export const meanSquaredError: Loss<Tensor> = (out, targets) => {
  tensorArg('meanSquaredError', 'out', out);
  tensorArg('meanSquaredError', 'targets', targets);
  expectSameShape('meanSquaredError', 'targets', targets.shape, out.shape);
  const n = out.shape[0] ?? 1;
  if (n === 0) throw new ArgumentError(`meanSquaredError: the batch holds no examples (out is ${showShape(out.shape)})`);
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += (out.data[i]! - targets.data[i]!) ** 2;
  return {
    out: s / (2 * n),
    backward: (d) => {
      const g = alloc(dtypeOf(out), out.data.length);
      for (let i = 0; i < g.length; i++) g[i] = (d * (out.data[i]! - targets.data[i]!)) / n;
      return { out: tensor(out.shape, g) };
    },
  };
};

/**
 * A loss of the caller's own, checked where the library calls it: it must
 * return `{ out: number, backward }` and its backward `{ out: tensor }`, or
 * the call fails with an ArgumentError naming `fn`'s `options.loss`.
 */
export const checkedLoss = <T>(fn: string, loss: Loss<T>): Loss<T> => {
  aFunction(fn, 'options.loss', loss);
  const wrong = (what: string, got: unknown): never => {
    throw new ArgumentError(`${fn}: options.loss must return ${what}, got ${describeValue(got)}`);
  };
  return (out, targets, options) => {
    const l: unknown = loss(out, targets, options);
    if (typeof l !== 'object' || l === null || typeof (l as { out?: unknown }).out !== 'number' || typeof (l as { backward?: unknown }).backward !== 'function') wrong('{ out: number, backward }', l);
    const { out: value, backward } = l as ReturnType<Loss<T>>;
    return {
      out: value,
      backward: (d) => {
        const g: unknown = backward(d);
        if (typeof g !== 'object' || g === null) wrong('a backward giving { out: tensor }', g);
        tensorArg(fn, 'the gradient options.loss gives', (g as { out?: unknown }).out);
        return g as { readonly out: Tensor };
      },
    };
  };
};
