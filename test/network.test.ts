// The seed network: its table and totals from the definition, its schedule,
// and the whole network plus loss checked end to end at reduced width.

import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { key } from '../src/core/random.ts';
import { astype, type Tensor } from '../src/core/tensor.ts';
import { checkGradients } from '../src/graph/gradcheck.ts';
import {
  MNIST_SHAPE, formatTable, fromLeaves, leaves, mapTree, seedNetwork, seedSchedule, summarize, valueAndGrad,
} from '../src/graph/index.ts';
import { softmaxCrossEntropy } from '../src/ops/index.ts';
import { randn } from './helpers.ts';

describe('seed network', () => {
  it('has the table and totals of docs/reference-network.md', () => {
    const s = summarize(seedNetwork(), MNIST_SHAPE);
    expect(s.params).toBe(359_846);
    expect(s.macs).toBe(2_233_832);
    expect(s.outShape).toEqual([10]);
    const byName = Object.fromEntries(s.rows.map((r) => [r.name, r]));
    expect(byName.conv1).toMatchObject({ outShape: [28, 28, 16], params: 144, macs: 112_896 });
    expect(byName.add1).toMatchObject({ params: 12_544 });
    expect(byName.pool1!.outShape).toEqual([14, 14, 16]);
    expect(byName.conv2).toMatchObject({ params: 4_608, macs: 903_168 });
    expect(byName.pool2!.outShape).toEqual([7, 7, 32]);
    expect(byName.conv3).toMatchObject({ params: 18_432, macs: 903_168 });
    expect(byName.flatten!.outShape).toEqual([3136]);
    expect(byName.dense1).toMatchObject({ params: 313_700, macs: 313_600 });
    expect(byName.dense2).toMatchObject({ params: 1_010, macs: 1_000 });
    const text = formatTable(s, MNIST_SHAPE);
    expect(text).toContain('359,846');
    expect(text).toContain('2,233,832');
  });

  it('initialises as the reference: filters N(0,1)/9, dense N(0,1)/fan_in, biases 0', () => {
    const p = seedNetwork().init(key(0), MNIST_SHAPE);
    const std = (t: Tensor): number => Math.sqrt(Array.from(t.data).reduce((s, v) => s + v * v, 0) / t.data.length);
    expect(std(p.conv3.w)).toBeCloseTo(1 / 9, 2);
    expect(std(p.dense1.w) * 3136).toBeCloseTo(1, 1);
    expect(Array.from(p.add1.b.data).every((v) => v === 0)).toBe(true);
    const he = seedNetwork({ init: 'he' }).init(key(0), MNIST_SHAPE);
    expect(std(he.conv3.w)).toBeCloseTo(Math.sqrt(2 / 288), 2);
  });

  it('the same key gives the same parameters; another key others', () => {
    const net = seedNetwork();
    const a = net.init(key(5), MNIST_SHAPE);
    expect(net.init(key(5), MNIST_SHAPE)).toEqual(a);
    expect(net.init(key(6), MNIST_SHAPE).conv1.w.data).not.toEqual(a.conv1.w.data);
  });

  it("schedule gives the reference's nine values (docs/reference-network.md)", () => {
    const want = [1.0e-5, 3.4e-4, 6.7e-4, 1.0e-3, 9.515e-4, 8.109e-4, 5.919e-4, 3.159e-4, 1.0e-5];
    want.forEach((v, e) => expect(seedSchedule(e)).toBeCloseTo(v, 7));
    expect(seedSchedule(3.7)).toBe(seedSchedule(3));
  });

  it('whole network and loss pass the gradient check (reduced width, 10x10 input)', () => {
    const net = seedNetwork({ widths: [2, 3, 4, 5] });
    const inShape = [10, 10, 1];
    const params = mapTree(net.init(key(3), inShape), (t) => astype(t, 'float64'));
    // Biases start at zero; give them values so their gradients are exercised away from symmetry.
    const p0 = mapTree(params, (t, path) => (path.endsWith('.b') ? randn(t.shape, path.length) : t));
    const labels = [3, 7];
    const inputs = Object.fromEntries([...leaves(p0), ['x', randn([2, 10, 10, 1], 40)]]);
    const r = checkGradients((i) => {
      const p = fromLeaves(p0, (path) => i[path]!);
      const fwd = net.apply(p, i.x!, { kernels: jsKernels });
      const loss = softmaxCrossEntropy(fwd.out, labels);
      return {
        out: loss.out,
        backward: (dl: number) => {
          const g = fwd.backward(loss.backward(dl).logits);
          return Object.fromEntries([...leaves(g.params), ['x', g.x]]);
        },
      };
    }, inputs);
    expect(r.ok, r.message).toBe(true);
    expect(r.checked).toBe(leaves(p0).reduce((s, [, t]) => s + t.data.length, 0) + 200);
  });

  it('valueAndGrad returns the loss and a gradient record shaped like the params', () => {
    const net = seedNetwork({ widths: [2, 3, 4, 5] });
    const params = net.init(key(3), MNIST_SHAPE);
    const r = valueAndGrad(net, { kernels: jsKernels })(params, { x: randn([3, 28, 28, 1], 41, 'float32'), labels: [1, 2, 3] });
    expect(r.loss).toBeGreaterThan(0);
    expect(leaves(r.grads).map(([p, t]) => [p, t.shape])).toEqual(leaves(params).map(([p, t]) => [p, t.shape]));
    expect(r.out.shape).toEqual([3, 10]);
  });
});
