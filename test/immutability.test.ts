// Forward, backward and optimizer steps never write to what they were given:
// every input tensor and parameter record is byte-for-byte what it was.

import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { key } from '../src/core/random.ts';
import { leaves, MNIST_SHAPE, optimizerByName, seedNetwork, valueAndGrad, type Tree } from '../src/graph/index.ts';
import {
  bias, conv2d, dense, flatten, logSoftmax, maxPool2d, padAll, relu, softmax, softmaxCrossEntropy, untiedBias,
} from '../src/ops/index.ts';
import { randn, snapshot } from './helpers.ts';

const snapTree = (t: Tree): Uint8Array[] => leaves(t).map(([, x]) => snapshot(x));

describe('immutability', () => {
  it('ops leave their inputs and the output gradient untouched', () => {
    const x = randn([2, 6, 6, 3], 50);
    const w = randn([3, 3, 3, 2], 51);
    const dy = randn([2, 6, 6, 2], 52);
    const before = [x, w, dy].map(snapshot);
    conv2d(x, w, { pad: padAll(1) }).backward(dy);
    maxPool2d(x, { size: 3, stride: 2, pad: padAll(1) }).backward(randn([2, 3, 3, 3], 53));
    relu(x).backward(randn(x.shape, 54));
    untiedBias(x, randn([6, 6, 3], 55)).backward(randn(x.shape, 56));
    bias(x, randn([3], 57)).backward(randn(x.shape, 58));
    flatten(x).backward(randn([2, 108], 59));
    const m = randn([4, 5], 60);
    const mSnap = snapshot(m);
    dense(m, randn([5, 3], 61), randn([3], 62)).backward(randn([4, 3], 63));
    softmax(m).backward(randn([4, 5], 64));
    logSoftmax(m).backward(randn([4, 5], 65));
    softmaxCrossEntropy(m, [0, 1, 2, 3]).backward(1);
    expect([x, w, dy].map(snapshot)).toEqual(before);
    expect(snapshot(m)).toEqual(mSnap);
  });

  for (const opt of (['sgd', 'momentum', 'adam'] as const).map((name) => optimizerByName(name))) {
    it(`network forward, backward and a ${opt.name} step leave params, state, grads and batch untouched`, () => {
      const net = seedNetwork({ widths: [2, 3, 4, 5] });
      const params = net.init(key(1), MNIST_SHAPE);
      const x = randn([2, 28, 28, 1], 66, 'float32');
      const xs = snapshot(x);
      const pSnap = snapTree(params);
      const { grads } = valueAndGrad(net, { kernels: jsKernels })(params, { x, labels: [1, 2] });
      const gSnap = snapTree(grads);
      const state = opt.init(params);
      const sSnap = snapTree(state);
      const next = opt.step(params, grads, state, { lr: 0.1, kernels: jsKernels });
      opt.step(next.params, grads, next.state, { lr: 0.1, kernels: jsKernels });
      expect(snapTree(params)).toEqual(pSnap);
      expect(snapTree(grads)).toEqual(gSnap);
      expect(snapTree(state)).toEqual(sSnap);
      expect(snapshot(x)).toEqual(xs);
      expect(snapTree(next.params)).not.toEqual(pSnap);
    });
  }
});
