// Every op against central finite differences in float64, on several shapes:
// odd sizes, stride 2, asymmetric padding, several channels, batch > 1.

import { describe, expect, it } from 'vitest';
import { checkGradients } from '../src/graph/gradcheck.ts';
import {
  bias, conv2d, crossEntropy, dense, flatten, logSoftmax, maxPool2d, padAll, referenceKernels, relu, softmax,
  softmaxCrossEntropy, untiedBias, jsKernels,
} from '../src/ops/index.ts';
import { distinct, randn } from './helpers.ts';

const expectOk = (r: ReturnType<typeof checkGradients>): void => {
  expect(r.ok, r.message).toBe(true);
  expect(r.checked).toBeGreaterThan(0);
};

describe('conv2d gradients', () => {
  const cases = [
    { x: [1, 5, 5, 1], w: [3, 3, 1, 2], stride: 1, pad: padAll(1) },
    { x: [2, 7, 6, 3], w: [3, 3, 3, 4], stride: 2, pad: { top: 0, bottom: 1, left: 1, right: 0 } },
    { x: [3, 4, 5, 2], w: [2, 3, 2, 3], stride: 1, pad: padAll(0) },
    { x: [2, 6, 6, 2], w: [1, 1, 2, 3], stride: 2, pad: { top: 2, bottom: 0, left: 0, right: 1 } },
  ];
  for (const kernels of [referenceKernels, jsKernels]) {
    for (const c of cases) {
      it(`${kernels.name}: x ${c.x} w ${c.w} stride ${c.stride}`, () => {
        expectOk(checkGradients((i) => conv2d(i.x!, i.w!, { stride: c.stride, pad: c.pad, kernels }), { x: randn(c.x, 3), w: randn(c.w, 4) }));
      });
    }
  }
});

describe('maxPool2d gradients', () => {
  const cases = [
    { x: [1, 6, 6, 1], size: 2, stride: 2, pad: padAll(0) },
    { x: [2, 7, 5, 3], size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 } },
    { x: [2, 5, 5, 2], size: 3, stride: 1, pad: padAll(1) },
  ];
  for (const c of cases) {
    it(`x ${c.x} window ${c.size}/${c.stride}`, () => {
      expectOk(checkGradients((i) => maxPool2d(i.x!, { size: c.size, stride: c.stride, pad: c.pad }), { x: distinct(c.x, 5) }));
    });
  }
  it('with zero padding (the seed network), including windows whose max is the pad', () => {
    expectOk(checkGradients((i) => maxPool2d(i.x!, { size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: 0 }), { x: distinct([2, 8, 8, 2], 6) }));
  });
});

describe('elementwise and bias gradients', () => {
  it('relu', () => expectOk(checkGradients((i) => relu(i.x!), { x: distinct([3, 4, 5], 7) })));
  it('untiedBias', () => expectOk(checkGradients((i) => untiedBias(i.x!, i.b!), { x: randn([3, 2, 3, 2], 8), b: randn([2, 3, 2], 9) })));
  it('bias', () => expectOk(checkGradients((i) => bias(i.x!, i.b!), { x: randn([4, 5], 10), b: randn([5], 11) })));
  it('flatten', () => expectOk(checkGradients((i) => flatten(i.x!), { x: randn([2, 3, 2, 2], 12) })));
});

describe('dense gradients', () => {
  for (const [n, k, m] of [[1, 7, 3], [5, 9, 4], [3, 1, 1]] as const) {
    it(`[${n}, ${k}] x [${k}, ${m}]`, () => {
      expectOk(checkGradients((i) => dense(i.x!, i.w!, i.b!), { x: randn([n, k], 13), w: randn([k, m], 14), b: randn([m], 15) }));
    });
  }
});

describe('softmax family gradients', () => {
  it('softmax', () => expectOk(checkGradients((i) => softmax(i.x!), { x: randn([3, 5], 16) })));
  it('logSoftmax', () => expectOk(checkGradients((i) => logSoftmax(i.x!), { x: randn([3, 5], 17) })));
  it('crossEntropy on probabilities', () => {
    expectOk(checkGradients((i) => crossEntropy(i.p!, [2, 0, 4]), { p: softmax(randn([3, 5], 18)).out }));
  });
  it('softmaxCrossEntropy', () => {
    expectOk(checkGradients((i) => softmaxCrossEntropy(i.logits!, [1, 3, 0, 2]), { logits: randn([4, 5], 19) }));
  });
});
