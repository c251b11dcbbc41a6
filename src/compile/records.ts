// Between a compiled network's heap and the caller's records: finding a
// parameter by its path, checking that the caller's arrays fit the plan, and
// building the gradient record shaped as the eager serial gives it.

import { ArgumentError } from '../core/check.ts';
import { expectParam, ShapeError } from '../core/shape.ts';
import type { Tensor } from '../core/tensor.ts';
import { specOf, type Layer } from '../graph/layer.ts';
import { isTensor, type Tree } from '../graph/tree.ts';
import type { LeafSlot } from './layout.ts';
import type { Stage } from './plan.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The subtree at `path`, if there is one. */
export const recordAt = (params: Tree, path: readonly string[]): Tree | undefined => {
  let t: Tree | undefined = params;
  for (const k of path) {
    if (t === undefined || isTensor(t)) return undefined;
    t = (t as Record<string, Tree>)[k];
  }
  return t;
};

/** The dotted name of a leaf's layer. */
export const layerName = (path: readonly string[]): string => path.slice(0, -1).join('.');

/** The parameter arrays in the program's order, each checked against the shape the network needs. */
export const leafData = (leaves: readonly LeafSlot[], params: Tree): Array<Tensor['data']> =>
  leaves.map((l) => {
    const t = recordAt(params, l.path);
    if (t === undefined || !isTensor(t)) {
      const layer = layerName(l.path);
      const have = recordAt(params, l.path.slice(0, -1));
      throw new ArgumentError(have === undefined
        ? `compile: the parameter record has no "${layer}"; make it with the network's init`
        : `compile: the record of "${layer}" has no tensor "${l.path[l.path.length - 1]}"`);
    }
    try {
      return expectParam(l.path[l.path.length - 1]!, t, l.shape).data;
    } catch (err) {
      throw err instanceof ShapeError ? new ShapeError(err.detail, l.path.slice(0, -1)) : err;
    }
  });

/** The records of the layers of the user's own, in stage order. */
export const eagerRecords = (stages: readonly Stage[], params: Tree): Tree[] =>
  stages.filter((s) => s.kind === 'eager').map((s) => recordAt(params, s.at.path) ?? {});

/** Whether every parameter and x are float32 (else the eager path runs). */
export const allFloat32 = (params: Tree, x: Tensor): boolean => x.data instanceof Float32Array && float32Tree(params);
// Not a tensor nor a record: left for leafData to refuse by its path.
const float32Tree = (t: Tree): boolean => (isTensor(t) ? t.data instanceof Float32Array : typeof t !== 'object' || t === null || Object.values(t).every(float32Tree));

/** Each leaf's arrays in `trees` (the optimizer's state trees), in leaf order; undefined when one is missing or not float32. */
export const leafArrays = (trees: readonly Tree[], leaves: readonly LeafSlot[]): Array<Array<Tensor['data']>> | undefined => {
  const out: Array<Array<Tensor['data']>> = [];
  for (const l of leaves) {
    const row: Array<Tensor['data']> = [];
    for (const tree of trees) {
      const a = recordAt(tree, l.path);
      if (a === undefined || !isTensor(a) || !(a.data instanceof Float32Array) || a.data.length !== l.size) return undefined;
      row.push(a.data);
    }
    out.push(row);
  }
  return out;
};

/**
 * The gradient record, shaped as the eager serial gives it: every layer of a
 * serial by name, {} for one without parameters. `own` holds the planned
 * layers' gradients by dotted path, `eager` the records of the user's own.
 */
export const gradTree = (layer: AnyLayer, own: ReadonlyMap<string, Tree>, eager: ReadonlyMap<string, Tree>, path: readonly string[] = []): Tree => {
  const spec = specOf(layer);
  if (spec?.op === 'serial') {
    const out: Record<string, Tree> = {};
    for (const [name, child] of Object.entries(spec.layers)) out[name] = gradTree(child, own, eager, [...path, name]);
    return out;
  }
  const k = path.join('.');
  return eager.get(k) ?? own.get(k) ?? {};
};
