// Saliency and the layer trace: the saliency map equals a central finite
// difference of the chosen logit on sampled pixels (float64, reduced width),
// a wrong class or a perturbed backward would not; the trace ends in the logits.

import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { key, uniform } from '../src/core/random.ts';
import { astype, tensor, type Tensor } from '../src/core/tensor.ts';
import { MNIST_SHAPE, mapTree, saliency, seedNetwork, trace } from '../src/graph/index.ts';

const net = seedNetwork({ init: 'he', widths: [3, 4, 5, 6] });
const params = mapTree(net.init(key(1), MNIST_SHAPE), (t) => astype(t, 'float64'));
const x = tensor([2, 28, 28, 1], Float64Array.from(uniform(key(2), 2 * 784)));

const logit = (input: Tensor, example: number, cls: number): number => net.apply(params, input, { kernels: jsKernels }).out.data[example * 10 + cls]!;

describe('saliency', () => {
  it.each([0, 3, 7])('equals finite differences of logit %i on sampled pixels of both examples', (cls) => {
    const s = saliency(net, params, x, cls, { kernels: jsKernels });
    expect(s.gradient.shape).toEqual([2, 28, 28, 1]);
    const eps = 1e-5;
    let checked = 0;
    for (const example of [0, 1]) {
      for (const pixel of [0, 100, 377, 406, 555, 783]) {
        const i = example * 784 + pixel;
        const plus = Float64Array.from(x.data), minus = Float64Array.from(x.data);
        plus[i]! += eps;
        minus[i]! -= eps;
        const fd = (logit(tensor(x.shape, plus), example, cls) - logit(tensor(x.shape, minus), example, cls)) / (2 * eps);
        expect(Math.abs(s.gradient.data[i]! - fd)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(fd));
        checked += fd !== 0 ? 1 : 0;
      }
    }
    expect(checked).toBeGreaterThan(4); // the check compared real slopes, not zeros
  });

  it('differs between classes (a map of the wrong class would fail the check above)', () => {
    const a = saliency(net, params, x, 1, { kernels: jsKernels }).gradient.data, b = saliency(net, params, x, 2, { kernels: jsKernels }).gradient.data;
    expect(Array.from(a).some((v, i) => Math.abs(v - b[i]!) > 1e-6)).toBe(true);
  });

  it('rejects a class outside the logits', () => {
    expect(() => saliency(net, params, x, 10, { kernels: jsKernels })).toThrow(/class 10 is not in 0..9/);
  });
});

describe('trace', () => {
  it('gives every layer output in order, ending in the logits', () => {
    const t = trace(net, params, x, { kernels: jsKernels });
    expect(t.map((o) => o.name)).toEqual(Object.keys(net.layers));
    expect(t.find((o) => o.name === 'pool1')!.out.shape).toEqual([2, 14, 14, 3]);
    expect(Array.from(t.at(-1)!.out.data)).toEqual(Array.from(net.apply(params, x, { kernels: jsKernels }).out.data));
  });
});
