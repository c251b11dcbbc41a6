// `serial` composes named layers into one layer, as stax's serial does. Its
// parameter record has one entry per named layer, and its backward runs the
// children's backward closures in reverse, returning a gradient record of the
// same shape.

import { ArgumentError } from '../core/check.ts';
import { foldIn } from '../core/random.ts';
import { inLayer, NO_PARAM, ShapeError } from '../core/shape.ts';
import type { Shape, Tensor } from '../core/tensor.ts';
import { checkApply, described, type Layer, type LayerRow, type ParamsOf, type RunOptions } from './layer.ts';
import type { Tree } from './tree.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The parameter record of `serial(layers)`: for each layer name, that layer's own record. */
export type SerialParams<L extends Record<string, AnyLayer>> = { readonly [K in keyof L]: ParamsOf<L[K]> };

/** A serial pipeline keeps its named layers, so that tools can run it layer by layer (explain.ts). */
export type Serial<L extends Record<string, AnyLayer>> = Layer<SerialParams<L>> & { readonly layers: L };

const applyWithout = (name: string, layer: AnyLayer, x: Tensor, options: RunOptions, params: object) => {
  try {
    return inLayer(name, () => layer.apply({}, x, options));
  } catch (err) {
    // A library layer refuses the empty record as missing a tensor; a user's own layer reading one gets a TypeError. Any other error is the layer's own.
    if (!(err instanceof TypeError) && !(err instanceof ShapeError && err.detail.startsWith(NO_PARAM))) throw err;
    throw new ArgumentError(`serial: the parameter record has no "${name}" (it has ${Object.keys(params).join(', ') || 'nothing'}); make it with the network's init`);
  }
};

/**
 * Composes named layers, in order, into one layer, as stax's serial does.
 * `init` gives layer i the key foldIn(key, i) and returns one entry per
 * name; `describe` names the rows by path (`block.conv1` when nested);
 * `apply` runs the layers in order and its backward runs theirs in reverse,
 * returning gradients in a record shaped like the parameters. A layer
 * without parameters may be missing from the record.
 *
 * A ShapeError from inside names the layer's path; `apply` throws a
 * RangeError when the record lacks a layer that has parameters.
 *
 * @example
 * const net = serial({ fc1: layers.dense({ units: 8 }), act: layers.relu(), fc2: layers.dense({ units: 3 }) });
 * const params = net.init(key(0), [4]);                  // { fc1: { w, b }, act: {}, fc2: { w, b } }
 * const { out, backward } = net.apply(params, fromArray([1, 4], [1, 2, 3, 4]), { kernels: jsKernels });
 * out.shape;                                             // [1, 3]
 * const grads = backward(fromArray([1, 3], [1, 0, 0])).params;   // shaped like params
 */
export const serial = <L extends Record<string, AnyLayer>>(layers: L): Serial<L> => {
  const entries = Object.entries(layers);
  const pipeline: Serial<L> = {
    layers,
    spec: { op: 'serial', layers },
    describe: (inShape, prefix) => {
      let shape: Shape = inShape;
      const rows: LayerRow[] = [];
      for (const [name, layer] of entries) {
        const d = layer.describe(shape, prefix === '' ? name : `${prefix}.${name}`);
        rows.push(...d.rows);
        shape = d.outShape;
      }
      return { outShape: shape, rows };
    },
    init: (key, inShape) => {
      let shape: Shape = inShape;
      const params: Record<string, Tree> = {};
      entries.forEach(([name, layer], i) => {
        params[name] = layer.init(foldIn(key, i), shape);
        shape = layer.describe(shape, name).outShape;
      });
      return params as SerialParams<L>;
    },
    apply: (params, x, options) => {
      checkApply('serial', params, x, options);
      let h: Tensor = x;
      const backs = entries.map(([name, layer]) => {
        const p = (params as Record<string, Tree | undefined>)[name];
        // A layer without parameters may be left out of the record; one with parameters may not.
        const op = p !== undefined ? inLayer(name, () => layer.apply(p, h, options)) : applyWithout(name, layer, h, options, params);
        h = op.out;
        return [name, op.backward] as const;
      });
      return {
        out: h,
        backward: (dy) => {
          const grads: Record<string, Tree> = {};
          let d = dy;
          for (let i = backs.length - 1; i >= 0; i--) {
            const [name, backward] = backs[i]!;
            const g = inLayer(name, () => backward(d));
            grads[name] = g.params;
            d = g.x;
          }
          // Same key order as the parameter record.
          const ordered: Record<string, Tree> = {};
          for (const [name] of entries) ordered[name] = grads[name]!;
          return { x: d, params: ordered as SerialParams<L> };
        },
      };
    },
  };
  return described(pipeline);
};
