// Clear shape errors naming the op and both shapes; the pure random keys.

import { describe, expect, it } from 'vitest';
import { foldIn, key, normal, permutation, split, uniform } from '../src/core/random.ts';
import { zeros } from '../src/core/tensor.ts';
import { bias, conv2d, dense, maxPool2d, softmaxCrossEntropy, untiedBias } from '../src/ops/index.ts';

describe('shape errors', () => {
  it('conv2d names both shapes when channels differ', () => {
    expect(() => conv2d(zeros([1, 5, 5, 3]), zeros([3, 3, 2, 4]))).toThrow(
      'conv2d: input channels do not match filters: input [1, 5, 5, 3], filters [3, 3, 2, 4]',
    );
  });
  it('conv2d rejects a rank-3 input', () => {
    expect(() => conv2d(zeros([5, 5, 3]), zeros([3, 3, 3, 4]))).toThrow(/conv2d: input .* rank 4, got shape \[5, 5, 3\]/);
  });
  it('dense names both shapes', () => {
    expect(() => dense(zeros([2, 7]), zeros([6, 3]), zeros([3]))).toThrow('dense: input and weights do not match: [2, 7] and [6, 3]');
  });
  it('untiedBias and bias name the shapes', () => {
    expect(() => untiedBias(zeros([2, 4, 4, 3]), zeros([4, 4, 2]))).toThrow('untiedBias: bias has shape [4, 4, 2], expected [4, 4, 3]');
    expect(() => bias(zeros([2, 5]), zeros([4]))).toThrow('bias: input last axis and bias do not match: [2, 5] and [4]');
  });
  it('maxPool2d and the loss reject what does not fit', () => {
    expect(() => maxPool2d(zeros([1, 2, 2, 1]), { size: 3 })).toThrow(/maxPool2d: .*\[1, 2, 2, 1\]/);
    expect(() => softmaxCrossEntropy(zeros([2, 10]), [1])).toThrow('softmaxCrossEntropy: 1 labels for input [2, 10]');
    expect(() => softmaxCrossEntropy(zeros([1, 10]), [10])).toThrow(/label 10/);
  });
  it('backward checks the output gradient shape', () => {
    expect(() => conv2d(zeros([1, 3, 3, 1]), zeros([2, 2, 1, 1])).backward(zeros([1, 3, 3, 1]))).toThrow(
      'conv2d backward: output gradient has shape [1, 3, 3, 1], expected [1, 2, 2, 1]',
    );
  });
});

describe('random keys', () => {
  it('are pure: the same key gives the same numbers', () => {
    expect(uniform(key(42), 5)).toEqual(uniform(key(42), 5));
    expect(normal(foldIn(key(1), 3), 4)).toEqual(normal(foldIn(key(1), 3), 4));
  });
  it('split and fold give independent streams', () => {
    const [a, b] = split(key(7));
    expect(uniform(a!, 3)).not.toEqual(uniform(b!, 3));
    expect(uniform(foldIn(key(7), 1), 3)).not.toEqual(uniform(foldIn(key(7), 2), 3));
  });
  it('draw sensible distributions', () => {
    const u = uniform(key(9), 20000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const z = normal(key(9), 20000);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const varc = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(varc - 1)).toBeLessThan(0.05);
  });
  it('permutations hold every index once', () => {
    const p = permutation(key(3), 1000);
    expect(new Set(p).size).toBe(1000);
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
