// Packing a parameter record into one flat array and back (how parameters
// cross to workers and to the page's worker): round trips exactly, keeps the
// template's shape, views or copies as asked, and refuses a record that does
// not fit the layout.

import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { fromArray, type Tensor } from '../src/core/tensor.ts';
import { layoutOf, layoutSize, leaves, packTree, seedNetwork, unpackTree } from '../src/graph/index.ts';

describe('packing', () => {
  const params = seedNetwork({ init: 'he', widths: [2, 3, 4, 5] }).init(key(0), [28, 28, 1]);
  const layout = layoutOf(params);

  it('round trips every leaf, in order, with the template\'s shape (empty records included)', () => {
    const flat = packTree(params, layout);
    expect(flat.length).toBe(layoutSize(layout));
    const back = unpackTree(layout, flat, { copy: true, template: params });
    expect(Object.keys(back)).toEqual(Object.keys(params));
    expect(back.relu1).toEqual({});
    const a = leaves(params), b = leaves(back);
    a.forEach(([p, t], i) => {
      expect(b[i]![0]).toBe(p);
      expect(b[i]![1].shape).toEqual(t.shape);
      expect(Array.from(b[i]![1].data)).toEqual(Array.from(t.data));
    });
  });

  it('without a template, nests by the paths; views share the array, copies do not', () => {
    const flat = new Float32Array([1, 2, 3, 4, 5]);
    const l = layoutOf({ a: { w: fromArray([2, 2], [0, 0, 0, 0]) }, b: fromArray([1], [0]) });
    type AB = { a: { w: Tensor }; b: Tensor };
    const view = unpackTree<AB>(l, flat, { copy: false });
    const copy = unpackTree<AB>(l, flat, { copy: true });
    flat[0] = 9;
    expect(Array.from(view.a.w.data)).toEqual([9, 2, 3, 4]);
    expect(Array.from(copy.a.w.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(view.b.data)).toEqual([5]);
  });

  it('refuses a record of another network', () => {
    const other = seedNetwork({ init: 'he', widths: [2, 3, 4, 6] }).init(key(0), [28, 28, 1]);
    expect(() => packTree(other, layout)).toThrow(/packTree: leaf "dense1.w" does not fit the layout's "dense1.w"/);
  });
});
