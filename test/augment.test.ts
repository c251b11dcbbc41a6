// Augmentation: each transform against hand-computed pixels, the identity
// leaves images unchanged, the key alone determines the output, and the
// input is never written.

import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { fromArray, toArray, type Tensor } from '../src/core/tensor.ts';
import { affine, compose, defaultAugment, morph, strokes, warp } from '../src/training/augment.ts';

// One 4x4 image with a single bright pixel at row 1, column 1, and a second image of a bar.
const img = (values: number[]): Tensor => fromArray([1, 4, 4, 1], values);
const dot = img([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const none = { rotate: 0, scale: 1, shear: 0, dx: 0, dy: 0 };

describe('augmentation', () => {
  it('the identity transform leaves images unchanged, exactly', () => {
    const x = fromArray([2, 5, 5, 1], Array.from({ length: 50 }, (_, i) => (i * 37) % 11 / 10));
    expect(toArray(warp(x, none))).toEqual(toArray(x));
    expect(toArray(affine({})(key(1), x))).toEqual(toArray(x));
    expect(toArray(strokes({})(key(1), x))).toEqual(toArray(x));
  });

  it('a 1-pixel move right and down moves every pixel by one, zeros coming in', () => {
    expect(toArray(warp(dot, { ...none, dx: 1, dy: 1 }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(toArray(warp(dot, { ...none, dx: 0.5 }))).toEqual([0, 0, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a 90° turn about the centre sends (row 1, col 1) to (row 1, col 2)', () => {
    const r = toArray(warp(dot, { ...none, rotate: 90 }));
    // With y pointing down, +90° maps (x, y) - c = (-0.5, -0.5) to (0.5, -0.5): column 2, row 1.
    r.forEach((v, i) => expect(v).toBeCloseTo(i === 6 ? 1 : 0, 12));
  });

  it('dilation and erosion with the plus-shaped neighbourhood', () => {
    expect(toArray(morph(dot, 'dilate'))).toEqual([0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const bar = img([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(toArray(morph(bar, 'erode'))).toEqual(new Array<number>(16).fill(0));
    const block = fromArray([1, 5, 5, 1], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(toArray(morph(block, 'erode'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('the key determines the output: same key, same images; another key, others; each image its own draw', () => {
    const x = fromArray([3, 28, 28, 1], Array.from({ length: 3 * 784 }, (_, i) => ((i % 28) > 8 && (i % 28) < 20 ? 1 : 0)));
    const a = toArray(defaultAugment(key(5), x));
    expect(toArray(defaultAugment(key(5), x))).toEqual(a);
    expect(toArray(defaultAugment(key(6), x))).not.toEqual(a);
    expect(a.slice(0, 784)).not.toEqual(a.slice(784, 1568));
  });

  it('never writes its input', () => {
    const x = fromArray([2, 28, 28, 1], Array.from({ length: 2 * 784 }, (_, i) => (i % 5) / 4));
    const before = toArray(x);
    compose(strokes({ thicken: 0.5, thin: 0.5 }), affine({ shift: 3, rotate: 20, scale: 0.2, shear: 10 }))(key(1), x);
    expect(toArray(x)).toEqual(before);
  });

  it('keeps float64 for float64 input', () => {
    const x = fromArray([1, 4, 4, 1], new Array<number>(16).fill(0.5), 'float64');
    expect(defaultAugment(key(1), x).data).toBeInstanceOf(Float64Array);
  });
});
