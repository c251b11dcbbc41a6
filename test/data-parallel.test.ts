// Data-parallel gradients: the same loss and gradient as one thread, and a
// worker that dies turns every later call into a clear error, never a hang.

import { describe, expect, it } from 'vitest';
import { key, uniform } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { leaves, MNIST_SHAPE, seedNetwork } from '../src/graph/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { localGradients } from '../src/training/gradients.ts';
import { parallelGradients } from '../src/platform/data-parallel.ts';

const net = seedNetwork({ init: 'he' });
const params = net.init(key(0), MNIST_SHAPE);
const x = tensor([6, 28, 28, 1], Float32Array.from(uniform(key(1), 6 * 784)));
const labels = Uint8Array.from([0, 1, 2, 3, 4, 5]);

describe('parallelGradients', () => {
  it('two workers give the loss and gradient of one thread', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'js', threads: 2 });
    try {
      const [a, b] = await Promise.all([par.grad(params, x, labels), localGradients(net, { kernels: kernelsByName('js') }).grad(params, x, labels)]);
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

  it('a worker that died fails the next call at once, naming the worker', async () => {
    const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'js', threads: 2 });
    try {
      // Label 10 throws inside the second worker, which then exits.
      await expect(par.grad(params, x, Uint8Array.from([0, 1, 2, 3, 4, 10]))).rejects.toThrow(/gradient worker 2 of 2 failed: .*label 10/);
      await expect(par.grad(params, x, labels)).rejects.toThrow(/gradient worker 2 of 2 failed/);
    } finally {
      await par.close();
    }
  });
});
