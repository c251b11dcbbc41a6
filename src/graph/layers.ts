// The layers of the library, each a thin wrapper that gives an op a
// parameter record, an initialisation and a row in the network table.

import { split } from '../core/random.ts';
import { finiteNumber, oneOf, optionsBag, paddingOf, positiveInt } from '../core/check.ts';
import { expectParam, ShapeError, showShape } from '../core/shape.ts';
import { sizeOf, zeros, type Shape, type Tensor } from '../core/tensor.ts';
import { bias as biasOp } from '../ops/bias.ts';
import { conv2d, padAll, windowOutput, type Padding } from '../ops/conv2d.ts';
import { dense as denseOp } from '../ops/dense.ts';
import { maxPool2d } from '../ops/max-pool2d.ts';
import { relu as reluOp } from '../ops/relu.ts';
import { flatten as flattenOp } from '../ops/reshape.ts';
import { untiedBias as untiedBiasOp } from '../ops/untied-bias.ts';
import { convFilters, denseWeights, type InitScheme } from './init.ts';
import { checkApply, described, type Layer, type LayerSpec, type NoParams, type RunOptions } from './layer.ts';
import type { Tree } from './tree.ts';

const hwc = (layer: string, s: Shape): [number, number, number] => {
  if (s.length !== 3) throw new ShapeError(`${layer}: expects inputs of shape [h, w, c], got ${showShape(s)}`);
  return s as [number, number, number];
};

const noParams: NoParams = {};

const INITS: readonly InitScheme[] = ['he', 'seed'];

/** The spec of a layer constructor: an object (not a number given where the bag goes). */
const specBag = (layer: string, spec: unknown, holds: string): void => {
  optionsBag(`layers.${layer}`, 'its argument', spec, holds);
};

/** A library layer: frozen, its spec marked as describing its apply (see SPEC_APPLY). */
const known = <P extends Tree>(layer: Layer<P>): Layer<P> => described(layer);

// A window that does not fit gives no output: refused here, so the network table never shows a 0 or NaN size.
const fits = (layer: string, inShape: Shape, out: Shape): Shape => {
  if (!out.every((d) => Number.isInteger(d) && d >= 1)) throw new ShapeError(`${layer}: its window does not fit inputs of shape ${showShape(inShape)} (output ${showShape(out)})`);
  return out;
};

/** What {@link conv} makes: the filters, their window, stride, padding and initialisation. */
export interface ConvSpec {
  /** Output channels. */
  readonly filters: number;
  /** The side of the square window. */
  readonly size: number;
  /** Default 1. */
  readonly stride?: number;
  /** Zero padding per side; default none. */
  readonly pad?: Padding;
  /** Default 'he'. */
  readonly init?: InitScheme;
}

/**
 * Convolution without bias ({@link Ops.ops.conv2d}) over inputs [h, w, cin],
 * giving [ho, wo, filters]; params `{ w: [size, size, cin, filters] }`
 * (HWIO), drawn by `init`. Follow it with {@link untiedBias} or
 * {@link bias}. `describe` and `init` throw a ShapeError unless the input is
 * [h, w, c].
 *
 * @example
 * const conv1 = layers.conv({ filters: 16, size: 3, pad: padAll(1) });
 * const params = conv1.init(key(0), [28, 28, 1]);        // { w: [3, 3, 1, 16] }
 * const { out } = conv1.apply(params, zeros([2, 28, 28, 1]), { kernels: jsKernels });
 * out.shape;                                             // [2, 28, 28, 16]
 */
export const conv = (spec: ConvSpec): Layer<{ readonly w: Tensor }> => {
  specBag('conv', spec, '{ filters, size, stride?, pad?, init? }');
  const { filters, size, stride = 1, pad = padAll(0), init = 'he' } = spec;
  positiveInt('layers.conv', 'filters', filters);
  positiveInt('layers.conv', 'size', size);
  positiveInt('layers.conv', 'stride', stride);
  paddingOf('layers.conv', 'pad', pad);
  oneOf('layers.conv', 'init', init, INITS);
  const outShape = (s: Shape): Shape => {
    const [h, w] = hwc('conv', s);
    return fits('conv', s, [windowOutput(h, size, stride, pad.top, pad.bottom), windowOutput(w, size, stride, pad.left, pad.right), filters]);
  };
  return known({
    spec: { op: 'conv', filters, size, stride, pad },
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
    apply: (p, x, options) => {
      checkApply('conv', p, x, options);
      const w = expectParam('w', p.w, [size, size, undefined, filters]);
      const op = conv2d(x, w, { stride, pad, kernels: options.kernels });
      return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { w: g.w } }; } };
    },
  });
};

/**
 * Untied bias ({@link Ops.ops.untiedBias}): one learnable value per position and
 * channel, the same for every example; params `{ b: inShape }`, zeros at
 * init. The reference puts one after each conv.
 *
 * @example
 * const add1 = layers.untiedBias();
 * const params = add1.init(key(0), [1, 2, 1]);           // { b: [1, 2, 1] }, zeros
 * const x = fromArray([1, 1, 2, 1], [1, 2]);
 * toArray(add1.apply({ b: fromArray([1, 2, 1], [10, 20]) }, x, { kernels: jsKernels }).out);   // [11, 22]
 */
export const untiedBias = (): Layer<{ readonly b: Tensor }> => known({
  spec: { op: 'untiedBias' },
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'untied bias', outShape: s, params: sizeOf(s), macs: 0 }] }),
  init: (_, s) => ({ b: zeros(s) }),
  apply: (p, x, options) => {
    checkApply('untiedBias', p, x, options);
    const op = untiedBiasOp(x, expectParam('b', p.b, x.shape.slice(1).map(() => undefined)), options);
    return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { b: g.b } }; } };
  },
});

/**
 * Bias along the last axis ({@link Ops.ops.bias}): params `{ b: [channels] }`,
 * zeros at init.
 *
 * @example
 * const b = layers.bias();
 * const params = b.init(key(0), [7, 7, 64]);             // { b: [64] }, zeros
 * const x = fromArray([1, 2], [1, 2]);
 * toArray(b.apply({ b: fromArray([2], [10, 20]) }, x, { kernels: jsKernels }).out);   // [11, 22]
 */
export const bias = (): Layer<{ readonly b: Tensor }> => known({
  spec: { op: 'bias' },
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'bias', outShape: s, params: s[s.length - 1]!, macs: 0 }] }),
  init: (_, s) => ({ b: zeros([s[s.length - 1]!]) }),
  apply: (p, x, options) => {
    checkApply('bias', p, x, options);
    const op = biasOp(x, expectParam('b', p.b, [undefined]), options);
    return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { b: g.b } }; } };
  },
});

/** Wraps a parameterless op as a layer. */
const stateless = (
  spec: LayerSpec & { readonly op: string },
  kind: string,
  outShape: (s: Shape) => Shape,
  f: (x: Tensor, options: RunOptions) => { out: Tensor; backward: (dy: Tensor) => { x: Tensor } },
): Layer<NoParams> => known({
  spec,
  describe: (s, name) => {
    const o = outShape(s);
    return { outShape: o, rows: [{ name, kind, outShape: o, params: 0, macs: 0 }] };
  },
  init: () => noParams,
  apply: (p, x, options) => {
    checkApply(spec.op, p, x, options);
    const op = f(x, options);
    return { out: op.out, backward: (dy) => ({ x: op.backward(dy).x, params: noParams }) };
  },
});

/**
 * ReLU ({@link Ops.ops.relu}) as a layer: no parameters, output shaped like the
 * input.
 *
 * @example
 * const act = layers.relu();
 * toArray(act.apply({}, fromArray([1, 3], [-1, 0, 2]), { kernels: jsKernels }).out);   // [0, 0, 2]
 */
export const relu = (): Layer<NoParams> => stateless({ op: 'relu' }, 'relu', (s) => s, (x, options) => reluOp(x, options));

/**
 * [h, w, c] -> [h·w·c] per example ({@link Ops.ops.flatten}, h, w, c order): what
 * a {@link dense} layer needs before it. No parameters; the output shares
 * the input's data.
 *
 * @example
 * const flat = layers.flatten();
 * flat.describe([7, 7, 64], 'flatten').outShape;                          // [3136]
 * flat.apply({}, zeros([2, 7, 7, 64]), { kernels: jsKernels }).out.shape;  // [2, 3136]
 */
export const flatten = (): Layer<NoParams> => stateless({ op: 'flatten' }, 'flatten', (s) => [sizeOf(s)], (x) => flattenOp(x));

/** What {@link maxPool} makes: the window, stride, padding and pad value, as {@link Ops.ops.maxPool2d} takes them. */
export interface PoolSpec {
  /** The side of the square window. */
  readonly size: number;
  /** Default `size` (windows that do not overlap). */
  readonly stride?: number;
  /** Padding per side; default none. Each side must be smaller than `size`. */
  readonly pad?: Padding;
  /** The value of padded cells; default -Infinity. */
  readonly padValue?: number;
}

/**
 * Max pooling ({@link Ops.ops.maxPool2d}) over inputs [h, w, c], channel by
 * channel; no parameters. `describe` throws a ShapeError unless the input is
 * [h, w, c].
 *
 * @example
 * const pool = layers.maxPool({ size: 2 });
 * pool.describe([28, 28, 16], 'pool1').outShape;                           // [14, 14, 16]
 * toArray(pool.apply({}, fromArray([1, 2, 2, 1], [1, 4, 3, 2]), { kernels: jsKernels }).out);   // [4]
 */
export const maxPool = (spec: PoolSpec): Layer<NoParams> => {
  specBag('maxPool', spec, '{ size, stride?, pad?, padValue? }');
  const { size, stride = size, pad = padAll(0), padValue = -Infinity } = spec;
  positiveInt('layers.maxPool', 'size', size);
  positiveInt('layers.maxPool', 'stride', stride);
  paddingOf('layers.maxPool', 'pad', pad);
  if (typeof padValue !== 'number' || Number.isNaN(padValue)) finiteNumber('layers.maxPool', 'padValue', padValue);
  return stateless(
    { op: 'maxPool', size, stride, pad, padValue },
    `max pool ${size}x${size}/${stride}` + (pad.top + pad.bottom + pad.left + pad.right > 0 ? ` pad t/b/l/r ${pad.top}/${pad.bottom}/${pad.left}/${pad.right}` : ''),
    (s) => {
      const [h, w, c] = hwc('maxPool', s);
      return fits('maxPool', s, [windowOutput(h, size, stride, pad.top, pad.bottom), windowOutput(w, size, stride, pad.left, pad.right), c]);
    },
    (x, { kernels }) => maxPool2d(x, { size, stride, pad, padValue, kernels }),
  );
};

/**
 * Fully connected layer with bias ({@link Ops.ops.dense}) over flat inputs of
 * `features` values: params `{ w: [features, units], b: [units] }`, w drawn
 * by `init` (default 'he'), b zeros. `describe` and `init` throw a ShapeError
 * for inputs that are not flat: put a {@link flatten} before it.
 *
 * @example
 * const fc = layers.dense({ units: 10 });
 * const params = fc.init(key(0), [100]);                 // { w: [100, 10], b: [10] }
 * fc.apply(params, zeros([4, 100]), { kernels: jsKernels }).out.shape;   // [4, 10]
 */
export const dense = (spec: { readonly units: number; readonly init?: InitScheme }): Layer<{ readonly w: Tensor; readonly b: Tensor }> => {
  specBag('dense', spec, '{ units, init? }');
  const { units, init = 'he' } = spec;
  positiveInt('layers.dense', 'units', units);
  oneOf('layers.dense', 'init', init, INITS);
  const fanIn = (s: Shape): number => {
    if (s.length !== 1) throw new ShapeError(`dense: expects flat inputs [features], got ${showShape(s)}; add flatten() before it`);
    return s[0]!;
  };
  return known({
    spec: { op: 'dense', units },
    describe: (s, name) => ({ outShape: [units], rows: [{ name, kind: 'dense + bias', outShape: [units], params: fanIn(s) * units + units, macs: fanIn(s) * units }] }),
    init: (key, s) => ({ w: denseWeights(init, split(key, 1)[0]!, [fanIn(s), units], fanIn(s)), b: zeros([units]) }),
    apply: (p, x, options) => {
      checkApply('dense', p, x, options);
      const op = denseOp(x, expectParam('w', p.w, [undefined, units]), expectParam('b', p.b, [units]), options);
      return { out: op.out, backward: (dy) => { const g = op.backward(dy); return { x: g.x, params: { w: g.w, b: g.b } }; } };
    },
  });
};
