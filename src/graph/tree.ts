// Parameter records: readonly trees of named tensors. Gradients and optimizer
// state are trees of the same shape, so a few structural maps serve them all.

import { ArgumentError, describeValue } from '../core/check.ts';
import type { Tensor } from '../core/tensor.ts';

/**
 * A parameter record: a tensor, or a readonly record of named trees.
 * Gradients and optimizer state are trees of the same shape; a leaf's path
 * is its names joined with dots (`conv1.w`).
 */
export type Tree = Tensor | { readonly [name: string]: Tree };

/** True when `t` is a leaf: a tensor, with a shape and typed-array data. */
export const isTensor = (t: Tree): t is Tensor =>
  typeof t === 'object' && t !== null && 'shape' in t && 'data' in t && ArrayBuffer.isView((t as Tensor).data); // a plain JavaScript caller may put anything in a record

// A tree from plain JavaScript may hold anything: a value that is neither a tensor nor a record is refused by its path (a string would recurse forever).
const record = (t: unknown, path: string): void => {
  if (typeof t !== 'object' || t === null || ArrayBuffer.isView(t)) {
    throw new ArgumentError(`tree: ${path === '' ? 'the record' : `"${path}"`} is ${describeValue(t)}, neither a tensor nor a record of them`);
  }
};

/** Applies `f` to every leaf, in key order, building a tree of the same shape. */
export const mapTree = <T extends Tree>(t: T, f: (leaf: Tensor, path: string) => Tensor, path = ''): T => {
  if (isTensor(t)) return f(t, path) as T;
  record(t, path);
  const out: Record<string, Tree> = {};
  for (const [k, v] of Object.entries(t)) out[k] = mapTree(v, f, path === '' ? k : `${path}.${k}`);
  return out as T;
};

/**
 * Like mapTree over several trees of the same shape (params, grads,
 * state...), following the keys of the first. Throws an ArgumentError (a
 * RangeError) naming the path when another tree lacks one, or holds a leaf
 * of another size there.
 */
export const zipTrees = <T extends Tree>(
  trees: readonly Tree[],
  f: (leaves: readonly Tensor[], path: string) => Tensor,
  path = '',
): T => {
  const first = trees[0]!;
  record(first, path);
  if (isTensor(first)) {
    // Leaves that differ would give the kernels arrays of other lengths: NaN, or values read past the end.
    for (const t of trees) {
      if (!isTensor(t) || t.data.length !== first.data.length) {
        throw new ArgumentError(`tree: "${path}" is a tensor of ${first.data.length} values in one tree and ${isTensor(t) ? `of ${t.data.length}` : 'not a tensor'} in another`);
      }
    }
    return f(trees as Tensor[], path) as T;
  }
  const out: Record<string, Tree> = {};
  for (const k of Object.keys(first)) {
    const children = trees.map((t) => {
      const c = typeof t === 'object' && t !== null ? (t as Record<string, Tree>)[k] : undefined;
      if (c === undefined) throw new ArgumentError(`tree: "${path === '' ? k : `${path}.${k}`}" is missing from one of the trees`);
      return c;
    });
    out[k] = zipTrees(children, f, path === '' ? k : `${path}.${k}`);
  }
  return out as T;
};

/** Every leaf with its dotted path ("conv1.w"), in key order. */
export const leaves = (t: Tree, path = ''): Array<readonly [string, Tensor]> => {
  if (isTensor(t)) return [[path, t]];
  record(t, path);
  return Object.entries(t).flatMap(([k, v]) => leaves(v, path === '' ? k : `${path}.${k}`));
};

/** Rebuilds a tree shaped like `template` from leaves looked up by path. */
export const fromLeaves = <T extends Tree>(template: T, lookup: (path: string) => Tensor): T =>
  mapTree(template, (_, path) => lookup(path));

/** The number of values in all the leaves. */
export const countParams = (t: Tree): number => leaves(t).reduce((s, [, x]) => s + x.data.length, 0);
