// The layers of the library, each a thin wrapper that gives an op a
// parameter record, an initialisation and a row in the network table.

import { split } from '../core/random.ts';
import { ShapeError, showShape } from '../core/shape.ts';
import { sizeOf, zeros, type Shape, type Tensor } from '../core/tensor.ts';
import { bias as biasOp } from '../ops/bias.ts';
import { conv2d, padAll, windowOutput, type Padding } from '../ops/conv2d.ts';
import { dense as denseOp } from '../ops/dense.ts';
import { maxPool2d } from '../ops/max-pool2d.ts';
import { relu as reluOp } from '../ops/relu.ts';
import { flatten as flattenOp } from '../ops/reshape.ts';
import { untiedBias as untiedBiasOp } from '../ops/untied-bias.ts';
import { convFilters, denseWeights, type InitScheme } from './init.ts';
import type { Layer, NoParams, RunOptions } from './layer.ts';

const hwc = (layer: string, s: Shape): [number, number, number] => {
  if (s.length !== 3) throw new ShapeError(`${layer}: expects inputs of shape [h, w, c], got ${showShape(s)}`);
  return s as [number, number, number];
};

const noParams: NoParams = {};

export interface ConvSpec {
  readonly filters: number;
  readonly size: number;
  readonly stride?: number;
  readonly pad?: Padding;
  /** Default 'he'. */
  readonly init?: InitScheme;
}

/** Convolution without bias; params { w: [size, size, cin, filters] }. */
export const conv = ({ filters, size, stride = 1, pad = padAll(0), init = 'he' }: ConvSpec): Layer<{ readonly w: Tensor }> => {
  const outShape = (s: Shape): Shape => {
    const [h, w] = hwc('conv', s);
    return [windowOutput(h, size, stride, pad.top, pad.bottom), windowOutput(w, size, stride, pad.left, pad.right), filters];
  };
  return {
    describe: (s, name) => {
      const o = outShape(s);
      const c = hwc('conv', s)[2];
      const padText = new Set([pad.top, pad.bottom, pad.left, pad.right]).size === 1 ? `pad ${pad.top}` : 'pad t/b/l/r ' + [pad.top, pad.bottom, pad.left, pad.right].join('/');
      return {
        outShape: o,
        rows: [{ name, kind: `conv ${size}x${size}/${stride} ${padText}`, outShape: o, params: size * size * c * filters, macs: o[0]! * o[1]! * size * size * c * filters }],
      };
    },
    init: (key, s) => {
      const c = hwc('conv', s)[2];
      return { w: convFilters(init, key, [size, size, c, filters], size * size * c) };
    },
    apply: (p, x, { kernels }) => {
      const op = conv2d(x, p.w, { stride, pad, kernels });
      return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { w: g.w } }; } };
    },
  };
};

/** One learnable value per position and channel; params { b: inShape }. */
export const untiedBias = (): Layer<{ readonly b: Tensor }> => ({
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'untied bias', outShape: s, params: sizeOf(s), macs: 0 }] }),
  init: (_, s) => ({ b: zeros(s) }),
  apply: (p, x, options) => {
    const op = untiedBiasOp(x, p.b, options);
    return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { b: g.b } }; } };
  },
});

/** Bias along the last axis; params { b: [channels] }. */
export const bias = (): Layer<{ readonly b: Tensor }> => ({
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'bias', outShape: s, params: s[s.length - 1]!, macs: 0 }] }),
  init: (_, s) => ({ b: zeros([s[s.length - 1]!]) }),
  apply: (p, x, options) => {
    const op = biasOp(x, p.b, options);
    return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { b: g.b } }; } };
  },
});

/** Wraps a parameterless op as a layer. */
const stateless = (
  kind: string,
  outShape: (s: Shape) => Shape,
  f: (x: Tensor, options: RunOptions) => { out: Tensor; backward: (dy: Tensor) => { x: Tensor } },
): Layer<NoParams> => ({
  describe: (s, name) => {
    const o = outShape(s);
    return { outShape: o, rows: [{ name, kind, outShape: o, params: 0, macs: 0 }] };
  },
  init: () => noParams,
  apply: (_, x, options) => {
    const op = f(x, options);
    return { out: op.out, backward: (dy) => ({ x: op.backward(dy).x, params: noParams }) };
  },
});

export const relu = (): Layer<NoParams> => stateless('relu', (s) => s, (x, options) => reluOp(x, options));

export const flatten = (): Layer<NoParams> => stateless('flatten', (s) => [sizeOf(s)], (x) => flattenOp(x));

export interface PoolSpec {
  readonly size: number;
  readonly stride?: number;
  readonly pad?: Padding;
  readonly padValue?: number;
}

export const maxPool = ({ size, stride = size, pad = padAll(0), padValue = -Infinity }: PoolSpec): Layer<NoParams> =>
  stateless(
    `max pool ${size}x${size}/${stride}` + (pad.top + pad.bottom + pad.left + pad.right > 0 ? ` pad t/b/l/r ${pad.top}/${pad.bottom}/${pad.left}/${pad.right}` : ''),
    (s) => {
      const [h, w, c] = hwc('maxPool', s);
      return [windowOutput(h, size, stride, pad.top, pad.bottom), windowOutput(w, size, stride, pad.left, pad.right), c];
    },
    (x, { kernels }) => maxPool2d(x, { size, stride, pad, padValue, kernels }),
  );

/** Fully connected layer with bias; params { w: [in, units], b: [units] }. */
export const dense = ({ units, init = 'he' }: { readonly units: number; readonly init?: InitScheme }): Layer<{ readonly w: Tensor; readonly b: Tensor }> => {
  const fanIn = (s: Shape): number => {
    if (s.length !== 1) throw new ShapeError(`dense: expects flat inputs [features], got ${showShape(s)}; add flatten() before it`);
    return s[0]!;
  };
  return {
    describe: (s, name) => ({ outShape: [units], rows: [{ name, kind: 'dense + bias', outShape: [units], params: fanIn(s) * units + units, macs: fanIn(s) * units }] }),
    init: (key, s) => ({ w: denseWeights(init, split(key, 1)[0]!, [fanIn(s), units], fanIn(s)), b: zeros([units]) }),
    apply: (p, x, options) => {
      const op = denseOp(x, p.w, p.b, options);
      return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { w: g.w, b: g.b } }; } };
    },
  };
};
