// AdamW, the optimizer added as one file (src/graph/optimizers/adamw.ts): its
// rule on numbers checked by hand, and the same numbers bit for bit wherever a
// step runs: eagerly, compiled (alone and with a kernel helper), split over
// gradient workers, stopped and resumed through fit, and through a checkpoint.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile/compile.ts';
import { key, uniform } from '../src/core/random.ts';
import { fromArray, tensor, type Tensor } from '../src/core/tensor.ts';
import { adam, adamw, constant, leaves, MNIST_SHAPE, optimizerByName, seedNetwork, valueAndGrad, type Optimizer, type Tree } from '../src/graph/index.ts';
import { heapOptimizer, optimizerFromHyper, type OptimizerHyper } from '../src/graph/optimizers/index.ts';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { parallelGradients } from '../src/platform/data-parallel.ts';
import { startKernelHelper } from '../src/platform/kernel-helper.ts';
import { defaultMnistDir, loadMnist } from '../src/platform/mnist.ts';
import { parseCommand } from '../src/program/flags.ts';
import { take } from '../src/training/batches.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import { presets, type TrainConfig } from '../src/program/recipe/config.ts';
import { fit, initialState } from '../src/training/loop.ts';
import { compiledSource } from '../src/training/source.ts';
import { networkFor, optimizerFor } from '../src/program/recipe/recipe.ts';
import { expectSameTree, snapshot } from './helpers.ts';

const opt = adamw({ weightDecay: 0.1 }) as unknown as Optimizer<Tree>;
const images = (n: number, shape: readonly number[], seed: number): Tensor =>
  tensor([n, ...shape], Float32Array.from(uniform(key(seed), n * shape.reduce((a, b) => a * b, 1)), (v) => v * 2 - 1));
const labelsOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);

type Records = { readonly params: Tree; readonly state: Tree; readonly loss: number };

/**
 * `steps` chained steps from `params` taken two ways, each from its own last records:
 * `got` (compiled, on workers) and `want` (gradient, then adamw's eager step).
 * Every step gives both the same loss and records, byte for byte.
 */
const sameSteps = async (params: Tree, steps: number, got: (p: Tree, s: Tree, i: number) => Records | Promise<Records>, want: (p: Tree, s: Tree, i: number) => Records | Promise<Records>): Promise<void> => {
  let [p, s] = [params, opt.init(params)];
  let [q, u] = [p, s];
  for (let i = 0; i < steps; i++) {
    const [a, b] = [await got(p, s, i), await want(q, u, i)];
    expect(a.loss).toBe(b.loss);
    expectSameTree(a.params, b.params);
    expectSameTree(a.state, b.state);
    [p, s, q, u] = [a.params, a.state, b.params, b.state];
  }
};

describe('adamw: the rule', () => {
  const p = { w: fromArray([3], [1, -2, 0.5], 'float64') };

  it('with no gradient, a step only shrinks each weight by lr * weightDecay of itself', () => {
    const zero = { w: fromArray([3], [0, 0, 0], 'float64') };
    const r = opt.step(p, zero, opt.init(p), { lr: 0.5, kernels: jsKernels });
    expect(Array.from(r.params.w.data)).toEqual([1 - 0.05 * 1, -2 + 0.05 * 2, 0.5 - 0.05 * 0.5]);
  });

  it('the decay is decoupled: the first step is the shrunk weight minus Adam\'s step, lr g / (|g| + eps)', () => {
    const g = { w: fromArray([3], [0.5, -4, 2], 'float64') };
    const r = opt.step(p, g, opt.init(p), { lr: 0.01, kernels: jsKernels });
    [1, -2, 0.5].forEach((w, i) => {
      const gi = g.w.data[i]!;
      expect(r.params.w.data[i]).toBeCloseTo(w * (1 - 0.001) - (0.01 * gi) / (Math.abs(gi) + 1e-8), 12);
    });
    expect(Object.keys(r.state)).toEqual(['m', 'v', 't']);
    expect((r.state as { t: Tensor }).t.data[0]).toBe(1);
  });

  it('with no weight decay it is Adam, bit for bit', () => {
    const kernels = kernelsByName('wasm');
    const net = seedNetwork({ init: 'he', widths: [4, 4, 8, 8] });
    const params = net.init(key(3), MNIST_SHAPE);
    const { grads } = valueAndGrad(net, { kernels })(params, { x: images(2, MNIST_SHAPE, 4), labels: labelsOf(2) });
    const [a, w] = [adam(), adamw({ weightDecay: 0 })];
    expectSameTree(w.step(params, grads, w.init(params), { lr: 0.01, kernels }).params, a.step(params, grads, a.init(params), { lr: 0.01, kernels }).params);
  });

  it('is registered: by name, from its description, and for the compiled and worker steps', () => {
    expect(optimizerByName('adamw').hyper).toEqual({ name: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    const again = optimizerFromHyper(opt.hyper as OptimizerHyper);
    expect(again.hyper).toEqual(opt.hyper);
    expect(heapOptimizer(again)?.trees).toEqual(['m', 'v']);
    // A copy with its own step is not described by the definition it was copied from.
    expect(heapOptimizer({ ...opt, step: <P extends Tree>(q: P, _: P, s: Tree) => ({ params: q, state: s }) })).toBeUndefined();
    expect(() => heapOptimizer(opt)!.stateTrees({})).toThrow("the state is not adamw's ({ m, v, t })");
  });
});

describe('adamw: compiled steps are the eager steps bit for bit', () => {
  it('six chained steps of the seed network at small width, across batch sizes and a predict in between', async () => {
    const net = seedNetwork({ init: 'he', widths: [8, 8, 16, 12] });
    const c = compile(net, { fma: false });
    const vg = valueAndGrad(net, { kernels: c.kernels });
    const sizes = [3, 3, 3, 1, 4, 4];
    const batch = (i: number) => ({ x: images(sizes[i]!, MNIST_SHAPE, 20 + i), labels: labelsOf(sizes[i]!) });
    await sameSteps(net.init(key(11), MNIST_SHAPE), sizes.length, (p, s, i) => {
      // A predict on other parameters (same shape) overwrites the heap: the next step copies everything in again.
      if (i === 2) c.predict(net.init(key(99), MNIST_SHAPE), batch(i).x);
      const before = leaves(p).map(([, t]) => snapshot(t));
      const r = c.step(opt, p as never, s, batch(i), 0.05);
      expect(leaves(p).map(([, t]) => snapshot(t))).toEqual(before);
      return r;
    }, (q, u, i) => {
      const g = vg(q as never, batch(i));
      return { loss: g.loss, ...opt.step(q, g.grads, u, { lr: 0.05, kernels: c.kernels }) };
    });
  });

  it('with a kernel helper (the largest leaf updated in parts on two threads): the seed network at full width, batch 9, two chained steps', async () => {
    const helper = await startKernelHelper({ fma: false });
    try {
      const net = seedNetwork({ init: 'he' });
      const two = compile(net, { helper });
      const vg = valueAndGrad(net, { kernels: two.kernels });
      const batch = { x: images(9, MNIST_SHAPE, 49), labels: labelsOf(9) };
      await sameSteps(net.init(key(31), MNIST_SHAPE), 2, (p, s) => two.step(opt, p as never, s, batch, 0.01), (q, u) => {
        const g = vg(q as never, batch);
        return { loss: g.loss, ...opt.step(q, g.grads, u, { lr: 0.01, kernels: two.kernels }) };
      });
    } finally {
      await helper.close();
    }
  }, 30_000);
});

describe('adamw: gradient workers', () => {
  const net = seedNetwork({ init: 'he' });
  const params = net.init(key(0), MNIST_SHAPE);
  const x = images(6, MNIST_SHAPE, 1);
  const labels = labelsOf(6);
  for (const name of ['wasm', 'js'] as const) {
    it(`${name}: whole steps split over two workers give grad + adamw's step bit for bit`, async () => {
      const kernels = kernelsByName(name);
      const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: name, threads: 2 });
      const sizes = name === 'wasm' ? [5, 1, 6] : [3];
      const share = (i: number) => ({ xs: tensor([sizes[i]!, 28, 28, 1], x.data.slice(0, sizes[i]! * 784) as Float32Array), ls: labels.slice(0, sizes[i]!), lr: 0.01 * (i + 1) });
      try {
        await sameSteps(params, sizes.length, (p, s, i) => {
          const { xs, ls, lr } = share(i);
          return par.step!(opt, p as never, s, xs, ls, lr);
        }, async (q, u, i) => {
          const { xs, ls, lr } = share(i);
          const g = await par.valueAndGrad(q as never, xs, ls);
          return { loss: g.loss, ...opt.step(q, g.grads, u, { lr, kernels }) };
        });
      } finally {
        await par.close();
      }
    }, 60_000);
  }
});

describe('adamw: runs that stop and resume', async () => {
  const data = await loadMnist(defaultMnistDir())();
  if (E.isLeft(data)) throw new Error(data.left.message);
  const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 16] });
  const params = net.init(key(0), MNIST_SHAPE);
  const kernels = kernelsByName('wasm');
  const setup = {
    net, optimizer: opt, train: take(data.right.train, 96), test: take(data.right.test, 32),
    epochs: 2, batchSize: 16, shuffle: true, seed: 0, schedule: constant(2e-3),
  };

  it('fit stopped mid-epoch and resumed ends bit for bit where an unbroken run does, eagerly and compiled', async () => {
    const whole = await fit({ ...setup, kernels }, initialState(params, opt));
    const half = await fit({ ...setup, kernels }, initialState(params, opt), { shouldStop: (s) => s.epoch === 1 && s.step === 2 });
    expect(half.status).toBe('stopped');
    const rest = await fit({ ...setup, source: compiledSource(compile(net)) }, half.state);
    expect(rest.status).toBe('finished');
    expectSameTree(rest.state.params, whole.state.params);
    expectSameTree(rest.state.opt, whole.state.opt);
    // The decay moved the weights: an Adam run from the same start ends elsewhere.
    const plain = await fit({ ...setup, kernels, optimizer: adam() as unknown as Optimizer<Tree> }, initialState(params, adam() as unknown as Optimizer<Tree>));
    expect(leaves(plain.state.params)[0]![1].data).not.toEqual(leaves(whole.state.params)[0]![1].data);
  }, 60_000);

  it('the CLI takes --optimizer adamw, and its checkpoint resumes with the same state', () => {
    const cmd = parseCommand(['--optimizer', 'adamw'], 2);
    expect(E.isRight(cmd) && cmd.right.kind === 'train' && cmd.right.config.optimizer).toBe('adamw');
    const config: TrainConfig = { ...presets.default, optimizer: 'adamw', seed: 1, trainLimit: null, testLimit: null, threads: 1, kernels: 'js' };
    const seedNet = networkFor(config);
    const p0 = seedNet.init(key(1), MNIST_SHAPE);
    const o = optimizerFor(config);
    const g = valueAndGrad(seedNet, { kernels: jsKernels })(p0, { x: images(2, MNIST_SHAPE, 5), labels: labelsOf(2) }).grads;
    const one = o.step(p0, g, o.init(p0), { lr: 1e-3, kernels: jsKernels });
    const bytes = encodeCheckpoint({ config, state: { params: one.params, opt: one.state, epoch: 0, step: 1, lossSum: 1, correct: 0, seconds: 1, history: [] } });
    if (E.isLeft(bytes)) throw new Error(bytes.left);
    const back = decodeCheckpoint(bytes.right);
    if (E.isLeft(back)) throw new Error(back.left);
    expect(back.right.config.optimizer).toBe('adamw');
    expectSameTree(back.right.state.opt, one.state);
    const next = (params: Tree, state: Tree) => o.step(params, g, state, { lr: 1e-3, kernels: jsKernels });
    expectSameTree(next(back.right.state.params, back.right.state.opt).params, next(one.params, one.state).params);
  });
});
