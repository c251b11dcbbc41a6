// Numbers computed by hand, so that a consistent-but-wrong convention (a
// flipped kernel, padding on the wrong side, ties to the last maximum) is
// caught, not only an inconsistent gradient.

import { describe, expect, it } from 'vitest';
import { fromArray } from '../src/core/tensor.ts';
import { conv2d, maxPool2d, padAll, softmaxCrossEntropy } from '../src/ops/index.ts';

const values = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

describe('conv2d by hand', () => {
  const x = fromArray([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = fromArray([2, 2, 1, 1], [1, 2, 3, 4]);

  it('is a cross-correlation (the kernel is not flipped)', () => {
    // y00 = 1*1 + 2*2 + 3*4 + 4*5; a flipped kernel would give 23.
    expect(values(conv2d(x, w).out)).toEqual([37, 47, 67, 77]);
  });

  it('pads on the side it is told', () => {
    // One row of zeros on top only: the first output row sees [0 0; 1 2 3].
    const y = conv2d(x, w, { pad: { top: 1, bottom: 0, left: 0, right: 0 } }).out;
    expect(y.shape).toEqual([1, 3, 2, 1]);
    expect(values(y).slice(0, 2)).toEqual([3 * 1 + 4 * 2, 3 * 2 + 4 * 3]);
  });

  it('uses HWIO filters: w[0, 0, cin, cout]', () => {
    const y = conv2d(fromArray([1, 1, 1, 2], [1, 10]), fromArray([1, 1, 2, 2], [1, 2, 3, 4])).out;
    expect(values(y)).toEqual([1 * 1 + 10 * 3, 1 * 2 + 10 * 4]);
  });

  it('stride 2 with padding 1 picks windows at 0 and 2', () => {
    const y = conv2d(x, fromArray([3, 3, 1, 1], [0, 0, 0, 0, 1, 0, 0, 0, 0]), { stride: 2, pad: padAll(1) }).out;
    expect(values(y)).toEqual([1, 3, 7, 9]);
  });

  it('backward gives the full correlation with the flipped kernel', () => {
    const op = conv2d(fromArray([1, 2, 2, 1], [0, 0, 0, 0]), w);
    // One output, gradient 1: dx is the kernel itself, dw the (zero) input.
    expect(values(op.backward(fromArray([1, 1, 1, 1], [1])).x)).toEqual([1, 2, 3, 4]);
  });
});

describe('maxPool2d by hand', () => {
  const x = fromArray([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => i));

  it('3x3/2 with padding bottom and right, as the seed network', () => {
    const op = maxPool2d(x, { size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 } });
    expect(op.out.shape).toEqual([1, 2, 2, 1]);
    expect(values(op.out)).toEqual([10, 11, 14, 15]);
    const dx = values(op.backward(fromArray([1, 2, 2, 1], [1, 2, 3, 4])).x);
    expect(dx[10]).toBe(1);
    expect(dx[11]).toBe(2);
    expect(dx[14]).toBe(3);
    expect(dx[15]).toBe(4);
    expect(dx.reduce((a, b) => a + b)).toBe(10);
  });

  it('sends the gradient of a tie to the first maximum in row-major order', () => {
    const op = maxPool2d(fromArray([1, 2, 2, 1], [5, 5, 5, 5]), { size: 2 });
    expect(values(op.backward(fromArray([1, 1, 1, 1], [1])).x)).toEqual([1, 0, 0, 0]);
  });

  it('zero padding wins over negative inputs and takes no gradient', () => {
    const neg = fromArray([1, 2, 2, 1], [-1, -2, -3, -4]);
    const zero = maxPool2d(neg, { size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: 0 });
    expect(values(zero.out)).toEqual([0]);
    expect(values(zero.backward(fromArray([1, 1, 1, 1], [1])).x)).toEqual([0, 0, 0, 0]);
    const inf = maxPool2d(neg, { size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 } });
    expect(values(inf.out)).toEqual([-1]);
  });
});

describe('softmaxCrossEntropy by hand', () => {
  it('gives -log p[label] and softmax - onehot', () => {
    const op = softmaxCrossEntropy(fromArray([1, 3], [0, Math.log(2), Math.log(3)], 'float64'), [2]);
    expect(op.out).toBeCloseTo(Math.log(2), 12);
    const d = values(op.backward(1).logits);
    [1 / 6, 2 / 6, 3 / 6 - 1].forEach((v, i) => expect(d[i]).toBeCloseTo(v, 12));
  });

  it('averages over the batch', () => {
    const op = softmaxCrossEntropy(fromArray([2, 2], [0, 0, 0, 0], 'float64'), [0, 1]);
    expect(op.out).toBeCloseTo(Math.log(2), 12);
    expect(values(op.backward(1).logits)).toEqual([-0.25, 0.25, 0.25, -0.25]);
  });

  it('stays finite for logits of ±1e4', () => {
    const op = softmaxCrossEntropy(fromArray([1, 2], [1e4, -1e4]), [1]);
    expect(op.out).toBe(2e4);
    expect(values(op.backward(1).logits)).toEqual([1, -1]);
  });
});
