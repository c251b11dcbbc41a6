// Data-parallel gradients: the same loss and gradient as one thread, and a
// worker that dies turns every later call into a clear error, never a hang.

import { describe, expect, it } from 'vitest';
import { key, uniform } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { adam, leaves, momentum, MNIST_SHAPE, seedNetwork, sgd, type Optimizer, type Tree } from '../src/graph/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { eagerSource } from '../src/training/source.ts';
import { evaluate, evaluateAsync } from '../src/training/evaluate.ts';
import { compile } from '../src/compile/compile.ts';
import { parallelGradients } from '../src/platform/data-parallel.ts';

const net = seedNetwork({ init: 'he' });
const params = net.init(key(0), MNIST_SHAPE);
const x = tensor([6, 28, 28, 1], Float32Array.from(uniform(key(1), 6 * 784)));
const labels = Uint8Array.from([0, 1, 2, 3, 4, 5]);

/** Two records with the same leaves, byte for byte (toEqual on 300,000 floats is slow). */
const sameTree = (a: Tree, b: Tree): void => {
  const lb = new Map(leaves(b));
  expect(leaves(a).map(([p]) => p)).toEqual([...lb.keys()]);
  const bytes = (t: Tree): Buffer => Buffer.from((t as { data: Float32Array }).data.buffer, (t as { data: Float32Array }).data.byteOffset, (t as { data: Float32Array }).data.byteLength);
  for (const [p, t] of leaves(a)) expect(bytes(t).equals(bytes(lb.get(p)!)), p).toBe(true);
};

describe('parallelGradients', () => {
  it('two workers give the loss and gradient of one thread', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'js', threads: 2 });
    try {
      const [a, b] = await Promise.all([par.valueAndGrad(params, x, labels), eagerSource(net, { kernels: kernelsByName('js') }).valueAndGrad(params, x, labels)]);
      expect(a.loss).toBeCloseTo(b.loss, 5);
      expect(a.correct).toBe(b.correct);
      const gb = leaves(b.grads);
      leaves(a.grads).forEach(([p, g], i) => {
        expect(p).toBe(gb[i]![0]);
        const want = gb[i]![1].data;
        const err = Array.from(g.data, (v, j) => Math.abs(v - want[j]!)).reduce((m, e) => Math.max(m, e), 0);
        expect(err, p).toBeLessThan(1e-5);
      });
    } finally {
      await par.close();
    }
  });

  it('a call whose share fails is one error naming the worker, and the next call works', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'js', threads: 2 });
    try {
      // Label 10 throws inside the second worker; the worker answers with the message and goes on.
      await expect(par.valueAndGrad(params, x, Uint8Array.from([0, 1, 2, 3, 4, 10]))).rejects.toThrow(/^gradient worker 2 of 2: .*label 10/);
      const [a, b] = [await par.valueAndGrad(params, x, labels), await eagerSource(net, { kernels: kernelsByName('js') }).valueAndGrad(params, x, labels)];
      expect(a.loss).toBeCloseTo(b.loss, 5);
      await expect(par.predict!(params, tensor([6, 27, 28, 1], new Float32Array(6 * 27 * 28)))).rejects.toThrow(/^gradient worker \d of 2: /);
      expect((await par.predict!(params, x)).shape).toEqual([6, 10]);
    } finally {
      await par.close();
    }
  });

  it('a worker that dies fails the next call at once, naming it, and every later one', async () => {
    // A network module that cannot be imported kills both workers as they start.
    const par = parallelGradients(params, { network: { kind: 'module', url: new URL('./no-such-network.mjs', import.meta.url).href, export: 'net' }, kernels: 'js', threads: 2 });
    try {
      await expect(par.valueAndGrad(params, x, labels)).rejects.toThrow(/gradient worker \d of 2 (failed|exited)/);
      await expect(par.valueAndGrad(params, x, labels)).rejects.toThrow(/gradient worker \d of 2 (failed|exited)/);
    } finally {
      await par.close();
    }
  });

  describe('a whole step split over the workers', () => {
    const optimizers: Array<[string, Optimizer<Tree>]> = [
      ['adam', adam() as unknown as Optimizer<Tree>],
      ['momentum', momentum({ mu: 0.8 }) as unknown as Optimizer<Tree>],
      ['sgd', sgd() as unknown as Optimizer<Tree>],
    ];
    for (const [name, opt] of optimizers) {
      it(`${name}: three steps give grad + optimizer.step's numbers bit for bit, with uneven and empty shares`, async () => {
        const kernels = kernelsByName('wasm');
        const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2 });
        try {
          let p = params;
          let s = opt.init(params);
          let q = params;
          let u = s;
          for (const [i, n] of [5, 1, 6].entries()) {
            const xs = tensor([n, 28, 28, 1], x.data.slice(0, n * 784) as Float32Array);
            const ls = labels.slice(0, n);
            const lr = 0.01 * (i + 1);
            const viaStep = await par.step!(opt, p, s, xs, ls, lr);
            const g = await par.valueAndGrad(q, xs, ls);
            const viaGrad = opt.step(q, g.grads, u, { lr, kernels });
            expect(viaStep.loss).toBe(g.loss);
            expect(viaStep.correct).toBe(g.correct);
            sameTree(viaStep.params, viaGrad.params);
            sameTree(viaStep.state, viaGrad.state);
            // The records of the step before are untouched by the next one.
            p = viaStep.params;
            s = viaStep.state;
            q = viaGrad.params;
            u = viaGrad.state;
          }
          const before = leaves(p).map(([, t]) => Float32Array.from(t.data));
          await par.step!(opt, p, s, x, labels, 0.5);
          leaves(p).forEach(([, t], i) => expect(t.data).toEqual(before[i]));
        } finally {
          await par.close();
        }
      }, 60_000);
    }

    it('a share that fails mid-step fails the step, the other worker does not hang at the barrier, and the next step is right', async () => {
      const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2 });
      try {
        const opt = adam() as unknown as Optimizer<Tree>;
        const kernels = kernelsByName('wasm');
        // A good step, then one whose second share fails: no update is made, and the step after it
        // (from the good step's records, whose state is in the shared buffer) gives grad + step's numbers.
        const first = await par.step!(opt, params, opt.init(params), x, labels, 0.1);
        await expect(par.step!(opt, first.params, first.state, x, Uint8Array.from([0, 1, 2, 3, 4, 10]), 0.1)).rejects.toThrow(/^gradient worker 2 of 2: .*label 10/);
        const got = await par.step!(opt, first.params, first.state, x, labels, 0.1);
        const g = await par.valueAndGrad(first.params, x, labels);
        const want = opt.step(first.params, g.grads, first.state, { lr: 0.1, kernels });
        sameTree(got.params, want.params);
      } finally {
        await par.close();
      }
    }, 30_000);
  });

  // A row's last bits depend on the batch it is computed in (the GEMM's edge rows), so the oracle is each worker's share run here.
  it('predict splits the examples over the workers: each share is the compiled output bit for bit; evaluateAsync with it is evaluate with the same split', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2 });
    try {
      const c = compile(net);
      const share = (a: number, b: number) => c.predict(params, tensor([b - a, 28, 28, 1], x.data.slice(a * 784, b * 784) as Float32Array)).data;
      for (const n of [1, 5, 6]) {
        const xs = tensor([n, 28, 28, 1], x.data.slice(0, n * 784) as Float32Array);
        const got = await par.predict!(params, xs);
        expect(got.shape).toEqual([n, 10]);
        const half = Math.floor(n / 2);
        expect(got.data).toEqual(Float32Array.from([...(half > 0 ? share(0, half) : []), ...share(half, n)]));
      }
      const images = { count: 6, rows: 28, cols: 28, pixels: Uint8Array.from(x.data, (v) => Math.round(v * 255)), labels };
      const split = (p: typeof params, xb: typeof x) => {
        const h = Math.floor(xb.shape[0]! / 2), per = 784;
        const parts = [c.predict(p, tensor([h, 28, 28, 1], xb.data.slice(0, h * per) as Float32Array)), c.predict(p, tensor([xb.shape[0]! - h, 28, 28, 1], xb.data.slice(h * per) as Float32Array))];
        return tensor([xb.shape[0]!, 10], Float32Array.from([...parts[0]!.data, ...parts[1]!.data]));
      };
      const want = evaluate(net, params, images, { kernels: c.kernels, batchSize: 4, predict: split });
      const got = await evaluateAsync(net, params, images, { kernels: c.kernels, batchSize: 4, predict: par.predict! });
      expect(got).toEqual(want);
    } finally {
      await par.close();
    }
  }, 30_000);

  it('one call at a time, none after close, at least one example; an SGD step then an Adam step from its records give grad + step', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2 });
    const kernels = kernelsByName('wasm');
    try {
      const first = par.valueAndGrad(params, x, labels);
      await expect(par.valueAndGrad(params, x, labels)).rejects.toThrow(/while another call is in flight/);
      await first;
      await expect(par.valueAndGrad(params, tensor([0, 28, 28, 1], new Float32Array(0)), new Uint8Array(0))).rejects.toThrow(/at least one example/);
      // SGD writes no state arrays; the Adam step after it must pack its own.
      const s1 = sgd() as unknown as Optimizer<Tree>, a = adam() as unknown as Optimizer<Tree>;
      const r1 = await par.step!(s1, params, s1.init(params), x, labels, 0.01);
      const st = a.init(r1.params);
      const r2 = await par.step!(a, r1.params, st, x, labels, 0.01);
      const g = await par.valueAndGrad(r1.params, x, labels);
      const want = a.step(r1.params, g.grads, st, { lr: 0.01, kernels });
      sameTree(r2.params, want.params);
    } finally {
      await par.close();
    }
    await expect(par.valueAndGrad(params, x, labels)).rejects.toThrow(/after close/);
  }, 60_000);
});
