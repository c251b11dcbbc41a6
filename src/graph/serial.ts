// `serial` composes named layers into one layer, as stax's serial does. Its
// parameter record has one entry per named layer, and its backward runs the
// children's backward closures in reverse, returning a gradient record of the
// same shape.

import { foldIn } from '../core/random.ts';
import { inLayer } from '../core/shape.ts';
import type { Shape, Tensor } from '../core/tensor.ts';
import type { Layer, LayerRow, ParamsOf, RunOptions } from './layer.ts';
import type { Tree } from './tree.ts';

type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type SerialParams<L extends Record<string, AnyLayer>> = { readonly [K in keyof L]: ParamsOf<L[K]> };

/** A serial pipeline keeps its named layers, so that tools can run it layer by layer (explain.ts). */
export type Serial<L extends Record<string, AnyLayer>> = Layer<SerialParams<L>> & { readonly layers: L };

const applyWithout = (name: string, layer: AnyLayer, x: Tensor, options: RunOptions, params: object) => {
  try {
    return layer.apply({}, x, options);
  } catch {
    throw new RangeError(`serial: the parameter record has no "${name}" (it has ${Object.keys(params).join(', ') || 'nothing'}); make it with the network's init`);
  }
};

export const serial = <L extends Record<string, AnyLayer>>(layers: L): Serial<L> => {
  const entries = Object.entries(layers);
  return {
    layers,
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
};
