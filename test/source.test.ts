// One source of computation (src/training/source.ts): eager, compiled and
// worker sources take the same step, give the same gradient and output, and
// an optimizer of your own runs through its own step on each of them.

import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile/compile.ts';
import { key, uniform } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { adam, MNIST_SHAPE, seedNetwork, sgd, type Optimizer, type Tree } from '../src/graph/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { parallelGradients } from '../src/platform/data-parallel.ts';
import { compiledSource, eagerSource, type Source } from '../src/training/source.ts';
import { expectSameTree, same } from './helpers.ts';

const net = seedNetwork({ init: 'he' });
const params = net.init(key(0), MNIST_SHAPE);
const x = tensor([4, 28, 28, 1], Float32Array.from(uniform(key(1), 4 * 784)));
const labels = Uint8Array.from([3, 1, 4, 1]);
// SGD with a step of its own (it moves nothing): no source may run SGD's heap update in its place.
const still = { ...(sgd() as unknown as Optimizer<Tree>), step: <P extends Tree>(p: P, _g: P, st: Tree) => ({ params: p, state: st }) } as unknown as Optimizer<Tree>;

describe('sources', () => {
  it('eager and compiled: the same step, gradient and output, bit for bit, on the same kernels', async () => {
    const compiled = compiledSource(compile(net));
    const eager = eagerSource(net, { kernels: compiled.kernels });
    const opt = adam() as unknown as Optimizer<Tree>;
    const [a, b] = await Promise.all([compiled, eager].map((s) => s.step(opt, params, opt.init(params), x, labels, 1e-3)));
    expect(a!.loss).toBe(b!.loss);
    expect(a!.correct).toBe(b!.correct);
    expectSameTree(a!.params, b!.params);
    expectSameTree(a!.state, b!.state);
    const [ga, gb] = await Promise.all([compiled, eager].map((s) => s.valueAndGrad(params, x, labels)));
    expectSameTree(ga!.grads, gb!.grads);
    same((await compiled.predict(params, x)).data, (await eager.predict(params, x)).data);
  });

  it('an optimizer of your own takes its own step on every source, workers included', async () => {
    const workers = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2 });
    try {
      const sources: Array<Source<typeof params>> = [eagerSource(net, { kernels: kernelsByName('wasm') }), compiledSource(compile(net)), workers];
      for (const source of sources) {
        const r = await source.step(still, params, {}, x, labels, 0.5);
        expect(r.params).toBe(params);
        expect(r.loss).toBe((await source.valueAndGrad(params, x, labels)).loss);
      }
      expect(workers.kernels.name).toMatch(/^wasm/);
    } finally {
      await workers.close();
    }
  }, 60_000);
});
