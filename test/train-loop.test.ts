// The training loop in-process on a few hundred real MNIST images: the loss
// falls and accuracy beats chance by far within seconds.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { optimizerByName, MNIST_SHAPE, seedNetwork, warmupCosine } from '../src/graph/index.ts';
import { defaultMnistDir, loadMnist } from '../src/platform/mnist.ts';
import { take } from '../src/training/batches.ts';
import { evaluate } from '../src/training/evaluate.ts';
import { localGradients } from '../src/training/gradients.ts';
import { epochOrder, runEpoch, type RunState } from '../src/training/loop.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';

describe('training loop', async () => {
  const data = await loadMnist(defaultMnistDir())();
  if (E.isLeft(data)) throw new Error(data.left.message);
  const train = take(data.right.train, 640);
  const test = take(data.right.test, 500);

  it('learns from 640 images', async () => {
    const net = seedNetwork({ init: 'he' });
    const kernels = kernelsByName('wasm');
    const params = net.init(key(0), MNIST_SHAPE);
    const optimizer = optimizerByName('adam');
    const setup = {
      gradients: localGradients(net, kernels),
      optimizer,
      schedule: warmupCosine({ max: 2e-3, init: 1e-4, final: 1e-4, warmup: 0.2, decay: 2, continuous: true }),
      batchSize: 32,
      shuffle: true,
      seed: 0,
    };
    const before = evaluate(net, params, test, kernels);
    let s: RunState<typeof params> = { params, opt: optimizer.init(params), epoch: 0, step: 0, lossSum: 0, correct: 0, seconds: 0, history: [] };
    const losses: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      s = await runEpoch(setup, train, { ...s, epoch, step: 0, lossSum: 0, correct: 0 }, { shouldStop: () => false });
      losses.push(s.lossSum / train.count);
    }
    const after = evaluate(net, s.params, test, kernels);
    expect(losses[1]!).toBeLessThan(losses[0]!);
    expect(after.loss).toBeLessThan(before.loss / 2);
    expect(after.accuracy).toBeGreaterThan(0.6);
  });

  it('shuffles with the seeded generator: same seed and epoch, same order', () => {
    expect(epochOrder(100, true, 3, 2)).toEqual(epochOrder(100, true, 3, 2));
    expect(epochOrder(100, true, 3, 2)).not.toEqual(epochOrder(100, true, 3, 1));
    expect(epochOrder(100, false, 3, 2)).toBeNull();
  });
});
