// A parameter record as one flat Float32Array and back: how parameters and
// gradients cross to worker threads (one SharedArrayBuffer, one transfer)
// and between the page and its worker. The layout lists the leaves in
// leaves() order with their paths, shapes and offsets; it is plain data, so
// it crosses a postMessage as it is.

import { ArgumentError } from '../core/check.ts';
import { sizeOf, tensor, type Shape, type Tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, type Tree } from './tree.ts';

/** Where each leaf of a record lies in the flat array. */
export type Layout = ReadonlyArray<{ readonly path: string; readonly shape: Shape; readonly offset: number }>;

/** The layout of a record's leaves, in leaves() order. */
export const layoutOf = (t: Tree): Layout => {
  let offset = 0;
  return leaves(t).map(([path, x]) => {
    const entry = { path, shape: [...x.shape], offset };
    offset += x.data.length;
    return entry;
  });
};

/** Values in a flat array of this layout. */
export const layoutSize = (layout: Layout): number => layout.reduce((s, l) => s + sizeOf(l.shape), 0);

/** The record's values in one array (a fresh one, or `into`, which this writes). Leaves are read in layout order. */
export const packTree = (t: Tree, layout: Layout = layoutOf(t), into: Float32Array = new Float32Array(layoutSize(layout))): Float32Array => {
  const ls = leaves(t);
  if (ls.length !== layout.length) throw new ArgumentError(`packTree: the record has ${ls.length} leaves, the layout ${layout.length}`);
  ls.forEach(([path, x], i) => {
    const l = layout[i]!;
    if (l.path !== path || sizeOf(l.shape) !== x.data.length) throw new ArgumentError(`packTree: leaf "${path}" does not fit the layout's "${l.path}"`);
    into.set(x.data, l.offset);
  });
  return into;
};

/**
 * The record back from a flat array. With `template` (any record of the same
 * network) it has the template's exact shape, empty records of layers
 * without parameters included; without, it is nested by the paths' dots.
 * With `copy` false its tensors are views on `data` (the caller must not
 * write `data` while they are in use); with `copy` true they own fresh arrays.
 */
export const unpackTree = <P extends Tree = Tree>(
  layout: Layout,
  data: Float32Array,
  { copy, template }: { readonly copy: boolean; readonly template?: P },
): P => {
  const leaf = (l: Layout[number]): Tensor => {
    const n = sizeOf(l.shape);
    return tensor(l.shape, copy ? data.slice(l.offset, l.offset + n) : data.subarray(l.offset, l.offset + n));
  };
  if (template !== undefined) {
    const byPath = new Map(layout.map((l) => [l.path, l] as const));
    return fromLeaves(template, (path) => {
      const l = byPath.get(path);
      if (l === undefined) throw new ArgumentError(`unpackTree: the layout has no "${path}"`);
      return leaf(l);
    });
  }
  const root: Record<string, Tree> = {};
  for (const l of layout) {
    const parts = l.path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, Tree>;
    node[parts[parts.length - 1]!] = leaf(l);
  }
  return root as P;
};
