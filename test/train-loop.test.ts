// The one training loop (fit) in-process on real MNIST images: the loss
// falls and accuracy beats chance by far within seconds; a run stopped at any
// step and resumed ends exactly where an uninterrupted one does; epoch events
// carry the history.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { adam, leaves, MNIST_SHAPE, seedNetwork, warmupCosine, type AdamState, type Optimizer } from '../src/graph/index.ts';
import { tensor } from '../src/core/tensor.ts';
import { defaultMnistDir, loadMnist } from '../src/platform/mnist.ts';
import { take } from '../src/training/batches.ts';
import { evaluate } from '../src/training/evaluate.ts';
import { epochOrder, fit, initialState, type EpochMetrics } from '../src/training/loop.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';

describe('fit', async () => {
  const data = await loadMnist(defaultMnistDir())();
  if (E.isLeft(data)) throw new Error(data.left.message);
  const train = take(data.right.train, 640);
  const test = take(data.right.test, 500);
  const net = seedNetwork({ init: 'he' });
  const kernels = kernelsByName('wasm');
  const optimizer = adam();
  const params = net.init(key(0), MNIST_SHAPE);
  const setup = {
    net, optimizer, kernels, train, test, epochs: 2, batchSize: 32, shuffle: true, seed: 0,
    schedule: warmupCosine({ max: 2e-3, init: 1e-4, final: 1e-4, warmup: 0.2, decay: 1.8, continuous: true }),
  };

  it('learns from 640 images, with one history line per epoch', async () => {
    const before = evaluate(net, params, test, { kernels });
    const seen: EpochMetrics[] = [];
    const r = await fit(setup, initialState(params, optimizer), { onEpoch: ({ metrics }) => void seen.push(metrics) });
    expect(r.status).toBe('finished');
    if (r.status !== 'finished') return;
    expect(r.state.history).toEqual(seen);
    expect(seen.map((m) => m.epoch)).toEqual([0, 1]);
    expect(seen[1]!.trainLoss).toBeLessThan(seen[0]!.trainLoss);
    expect(r.evaluation.loss).toBeLessThan(before.loss / 2);
    expect(r.evaluation.accuracy).toBeGreaterThan(0.6);
    expect(seen[1]!.testAccuracy).toBe(r.evaluation.accuracy);
  });

  it('stopped mid-epoch and resumed, it ends bit for bit where an uninterrupted run does', async () => {
    const small = { ...setup, train: take(train, 192), test: take(test, 64) };
    const whole = await fit(small, initialState(params, optimizer));
    const half = await fit(small, initialState(params, optimizer), { shouldStop: (s) => s.epoch === 1 && s.step === 3 });
    expect(half.status).toBe('stopped');
    expect([half.state.epoch, half.state.step]).toEqual([1, 3]);
    const rest = await fit(small, half.state);
    expect(rest.status).toBe('finished');
    const a = leaves(whole.state.params), b = leaves(rest.state.params);
    a.forEach(([path, t], i) => expect(Array.from(b[i]![1].data), path).toEqual(Array.from(t.data)));
    expect(rest.state.history.map((m) => [m.trainLoss, m.testLoss])).toEqual(whole.state.history.map((m) => [m.trainLoss, m.testLoss]));
  });

  it('a loss that turns NaN stops the run as diverged, keeping the state before that step', async () => {
    // A rate this large blows the parameters up, and a later loss is NaN (a rate that is not a finite number stops the run before its step: below).
    const bad = { ...setup, schedule: () => 1e10, train: take(train, 128), test: take(test, 32) };
    const r = await fit(bad, initialState(params, optimizer));
    expect(r.status).toBe('diverged');
    if (r.status === 'diverged') expect(r.reason).toMatch(/loss is (NaN|Infinity)/);
    expect(leaves(r.state.params).every(([, t]) => t.data.every(Number.isFinite))).toBe(true);
  });

  it('a schedule that gives a rate that is not a finite number stops the run as diverged, before the step', async () => {
    const r = await fit({ ...setup, schedule: (e) => (e < 0.2 ? 1e-3 : NaN), train: take(train, 128), test: take(test, 32) }, initialState(params, optimizer));
    expect(r.status).toBe('diverged');
    if (r.status === 'diverged') expect(r.reason).toBe('the schedule gave a learning rate of NaN at epoch 0 step 1');
    expect(r.state.step).toBe(1);
    expect(leaves(r.state.params).every(([, t]) => t.data.every(Number.isFinite))).toBe(true);
  });

  it('a parameter that turns NaN while the loss stays finite (ReLU hides it) also ends the run, at the epoch\'s start', async () => {
    // An optimizer that, from its third step on, writes NaN into one filter weight.
    let steps = 0;
    const poisoned: Optimizer<AdamState> = {
      ...optimizer,
      step: (p, g, st, o) => {
        const r = optimizer.step(p, g, st, o);
        if (++steps < 3) return r;
        const w = (r.params as unknown as typeof params).conv1.w;
        const nan = tensor(w.shape, Float32Array.from(w.data, (v, i) => (i === 0 ? NaN : v)));
        return { ...r, params: { ...(r.params as object), conv1: { w: nan } } as unknown as typeof r.params };
      },
    };
    const r = await fit({ ...setup, optimizer: poisoned, epochs: 1, train: take(train, 192), test: take(test, 32) }, initialState(params, poisoned));
    expect(r.status).toBe('diverged');
    if (r.status === 'diverged') expect(r.reason).toBe('a parameter or optimizer value became NaN or infinite during epoch 0');
    expect(r.state.step).toBe(0);
  });

  it('an empty training or test set is refused, not read as a divergence', async () => {
    await expect(fit({ ...setup, test: take(test, 0) }, initialState(params, optimizer))).rejects.toThrow('fit: the test set holds no images');
    await expect(fit({ ...setup, train: take(train, 0) }, initialState(params, optimizer))).rejects.toThrow('fit: the training set holds no images');
  });

  it('shuffles with the seeded generator: same seed and epoch, same order', () => {
    expect(epochOrder(100, true, 3, 2)).toEqual(epochOrder(100, true, 3, 2));
    expect(epochOrder(100, true, 3, 2)).not.toEqual(epochOrder(100, true, 3, 1));
    expect(epochOrder(100, false, 3, 2)).toBeNull();
  });
});
