// The arithmetic behind one value, with the real numbers: how a layer made
// one entry of its output from its input (a conv's patch times its filter,
// a pool's window and winner, a dense layer's terms, ...), how its backward
// made one entry of dLoss/dIn from dLoss/dOut, and the softmax and
// cross-entropy of the logits. For the demo page's "click a value" view and
// `explain --backward`; each sum is tested to equal the value the layer's
// own op computed.

import { ArgumentError } from '../core/check.ts';
import type { Tensor } from '../core/tensor.ts';
import type { Layer, LayerSpec } from './layer.ts';
import type { Tree } from './tree.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * One term of a sum: `input · weight`. `from` is where the input value sits
 * (a full index, batch axis first) or null for a padded cell; `at` is the
 * weight's index in its parameter (or the output index it came from, for a
 * pool's backward, whose weight is 1 for the window's winner and 0 else).
 */
export interface Term {
  readonly from: readonly number[] | null;
  readonly input: number;
  readonly at: readonly number[];
  readonly weight: number;
  readonly product: number;
}

/** How one value was computed, by the kind of step that made it. */
export type Arithmetic =
  /** A sum of products: a conv (its input patch × its filter), a dense unit, or a backward pass through them. */
  | { readonly kind: 'sum'; readonly op: 'conv' | 'dense' | 'maxPool'; readonly terms: readonly Term[]; readonly sum: number; readonly plus?: number; readonly value: number }
  /** input + bias (untied or per channel); on the backward side, dIn = dOut (bias: `plus` is absent). */
  | { readonly kind: 'add'; readonly input: number; readonly bias?: number; readonly value: number }
  /** max(0, input); on the backward side, dOut passed where the forward input was positive. */
  | { readonly kind: 'relu'; readonly input: number; readonly passed: number; readonly value: number }
  /** The window (row by row; null `from` = padding) and the index of its winner, the first maximum. */
  | { readonly kind: 'window'; readonly cells: ReadonlyArray<{ readonly from: readonly number[] | null; readonly value: number }>; readonly winner: number; readonly value: number }
  /** A copy: flatten, forward or backward. */
  | { readonly kind: 'copy'; readonly from: readonly number[]; readonly value: number };

const offset = (shape: readonly number[], at: readonly number[]): number => {
  if (at.length !== shape.length || at.some((v, i) => !Number.isInteger(v) || v < 0 || v >= shape[i]!)) {
    throw new ArgumentError(`arithmetic: index [${at.join(', ')}] is outside the shape [${shape.join(', ')}]`);
  }
  return at.reduce((o, v, i) => o * shape[i]! + v, 0);
};

const unflat = (shape: readonly number[], flat: number): number[] => {
  const at = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    at[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return at;
};

const read = (t: Tensor, at: readonly number[]): number => t.data[offset(t.shape, at)]!;

const sumOf = (terms: readonly Term[]): number => terms.reduce((s, t) => s + t.product, 0);

const specOf = (layer: AnyLayer): Exclude<LayerSpec, { readonly op: 'serial' }> => {
  if (layer.spec === undefined || layer.spec.op === 'serial') throw new ArgumentError('arithmetic: only the library\'s own single layers (conv, untiedBias, bias, relu, maxPool, flatten, dense) are explained');
  return layer.spec;
};

/** A pool window's cells, row by row, and its first maximum (the pool kernel's rule: strict >). */
const poolWindow = (spec: Extract<LayerSpec, { op: 'maxPool' }>, input: Tensor, n: number, oy: number, ox: number, c: number) => {
  const [, h, w] = input.shape as [number, number, number, number];
  const cells: Array<{ from: number[] | null; value: number }> = [];
  let winner = 0;
  for (let ky = 0; ky < spec.size; ky++) {
    for (let kx = 0; kx < spec.size; kx++) {
      const iy = oy * spec.stride + ky - spec.pad.top, ix = ox * spec.stride + kx - spec.pad.left;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      const cell = inside ? { from: [n, iy, ix, c], value: read(input, [n, iy, ix, c]) } : { from: null, value: spec.padValue };
      if (cells.length > 0 && cell.value > cells[winner]!.value) winner = cells.length;
      cells.push(cell);
    }
  }
  return { cells, winner };
};

/**
 * How `layer` (one of the library's layers, given its parameters and the
 * input it ran on) made the value of its output at the full index `at`
 * (batch axis first): for a conv, the kh·kw·cin patch (zeros where padded)
 * times the filter, term by term, in (ky, kx, ci) order; for dense, every
 * input times its weight, plus the bias; for a pool, the window and its
 * winner. `value` is the layer's own output there, so the sum (plus any
 * bias) can be checked against it. Throws an ArgumentError (a RangeError) for an index outside
 * the output or a layer without a library spec.
 *
 * @example
 * const conv2 = net.layers.conv2;
 * const a = explainValue(conv2, params.conv2, pool1Out, conv2Out, [0, 5, 7, 3]);
 * a.kind === 'sum' && a.terms.length;    // 144: a 3x3 patch of 16 channels
 * a.kind === 'sum' && a.sum;             // conv2Out at [0, 5, 7, 3], up to rounding
 */
export const explainValue = (layer: AnyLayer, params: Tree, input: Tensor, out: Tensor, at: readonly number[]): Arithmetic => {
  const value = read(out, at);
  const spec = specOf(layer);
  const p = params as Record<string, Tensor>;
  switch (spec.op) {
    case 'conv': {
      const [n, oy, ox, co] = at as [number, number, number, number];
      const [, h, w, cin] = input.shape as [number, number, number, number];
      const terms: Term[] = [];
      for (let ky = 0; ky < spec.size; ky++) {
        for (let kx = 0; kx < spec.size; kx++) {
          const iy = oy * spec.stride + ky - spec.pad.top, ix = ox * spec.stride + kx - spec.pad.left;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          for (let ci = 0; ci < cin; ci++) {
            const x = inside ? read(input, [n, iy, ix, ci]) : 0;
            const wAt = [ky, kx, ci, co];
            const weight = read(p.w!, wAt);
            terms.push({ from: inside ? [n, iy, ix, ci] : null, input: x, at: wAt, weight, product: x * weight });
          }
        }
      }
      return { kind: 'sum', op: 'conv', terms, sum: sumOf(terms), value };
    }
    case 'dense': {
      const [n, j] = at as [number, number];
      const fanIn = input.shape[1]!;
      const terms: Term[] = [];
      for (let i = 0; i < fanIn; i++) {
        const x = read(input, [n, i]), weight = read(p.w!, [i, j]);
        terms.push({ from: [n, i], input: x, at: [i, j], weight, product: x * weight });
      }
      const plus = read(p.b!, [j]);
      return { kind: 'sum', op: 'dense', terms, sum: sumOf(terms), plus, value };
    }
    case 'untiedBias':
      return { kind: 'add', input: read(input, at), bias: read(p.b!, at.slice(1)), value };
    case 'bias':
      return { kind: 'add', input: read(input, at), bias: read(p.b!, [at[at.length - 1]!]), value };
    case 'relu':
      return { kind: 'relu', input: read(input, at), passed: read(input, at) > 0 ? 1 : 0, value };
    case 'flatten':
      return { kind: 'copy', from: [at[0]!, ...unflat(input.shape.slice(1), at[1]!)], value };
    case 'maxPool': {
      const [n, oy, ox, c] = at as [number, number, number, number];
      return { kind: 'window', ...poolWindow(spec, input, n, oy, ox, c), value };
    }
  }
};

/**
 * How `layer`'s backward made dLoss/dIn at the full index `at` from its
 * dLoss/dOut: for a conv, every output gradient whose window covered this
 * input, times the filter weight that joined them; for dense, every unit's
 * gradient times its weight to this input; for a pool, the output gradients
 * of the windows holding this input, weight 1 where it won the window and 0
 * where it did not; for ReLU, dOut where the forward input was positive.
 * `value` is dIn there, from the layer's own backward. Throws an ArgumentError (a RangeError)
 * as {@link explainValue} does.
 *
 * @example
 * const l = backwardTrace(net, params, x, [7], { kernels }).layers.find((g) => g.name === 'pool1')!;
 * const a = explainGradient(net.layers.pool1, {}, l.input, l.dOut, l.dIn, [0, 10, 4, 2]);
 * a.kind === 'sum' && a.terms.filter((t) => t.weight === 1).length;   // the windows this input won
 */
export const explainGradient = (layer: AnyLayer, params: Tree, input: Tensor, dOut: Tensor, dIn: Tensor, at: readonly number[]): Arithmetic => {
  const value = read(dIn, at);
  const spec = specOf(layer);
  const p = params as Record<string, Tensor>;
  switch (spec.op) {
    case 'conv': {
      const [n, iy, ix, ci] = at as [number, number, number, number];
      const [, ho, wo, cout] = dOut.shape as [number, number, number, number];
      const terms: Term[] = [];
      for (let ky = 0; ky < spec.size; ky++) {
        for (let kx = 0; kx < spec.size; kx++) {
          const ny = iy + spec.pad.top - ky, nx = ix + spec.pad.left - kx;
          if (ny % spec.stride !== 0 || nx % spec.stride !== 0) continue;
          const oy = ny / spec.stride, ox = nx / spec.stride;
          if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
          for (let co = 0; co < cout; co++) {
            const g = read(dOut, [n, oy, ox, co]), wAt = [ky, kx, ci, co], weight = read(p.w!, wAt);
            terms.push({ from: [n, oy, ox, co], input: g, at: wAt, weight, product: g * weight });
          }
        }
      }
      return { kind: 'sum', op: 'conv', terms, sum: sumOf(terms), value };
    }
    case 'dense': {
      const [n, i] = at as [number, number];
      const terms: Term[] = [];
      for (let j = 0; j < dOut.shape[1]!; j++) {
        const g = read(dOut, [n, j]), weight = read(p.w!, [i, j]);
        terms.push({ from: [n, j], input: g, at: [i, j], weight, product: g * weight });
      }
      return { kind: 'sum', op: 'dense', terms, sum: sumOf(terms), value };
    }
    case 'untiedBias':
    case 'bias':
      return { kind: 'add', input: read(dOut, at), value };
    case 'relu': {
      const passed = read(input, at) > 0 ? 1 : 0;
      return { kind: 'relu', input: read(dOut, at), passed, value };
    }
    case 'flatten':
      return { kind: 'copy', from: [at[0]!, offset(input.shape.slice(1), at.slice(1))], value };
    case 'maxPool': {
      const [n, iy, ix, c] = at as [number, number, number, number];
      const [, ho, wo] = dOut.shape as [number, number, number, number];
      const terms: Term[] = [];
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const ky = iy + spec.pad.top - oy * spec.stride, kx = ix + spec.pad.left - ox * spec.stride;
          if (ky < 0 || ky >= spec.size || kx < 0 || kx >= spec.size) continue;
          const { cells, winner } = poolWindow(spec, input, n, oy, ox, c);
          const won = cells[winner]!.from?.every((v, k) => v === at[k]) === true ? 1 : 0;
          const g = read(dOut, [n, oy, ox, c]);
          terms.push({ from: [n, oy, ox, c], input: g, at: [oy, ox], weight: won, product: g * won });
        }
      }
      return { kind: 'sum', op: 'maxPool', terms, sum: sumOf(terms), value };
    }
  }
};

/**
 * How `layer`'s backward made one entry of dLoss/dParams: for conv filters
 * w[ky, kx, ci, co], every output position's dLoss/dOut (channel co) times
 * the input under that filter cell there; for dense weights w[i, j], each
 * example's input i times its dLoss/dOut j; for a bias, the dLoss/dOut values
 * it was added to (weight 1). `leaf` names the parameter ('w' or 'b'), `at`
 * its index; `value` is the layer's own gradient there. Throws an ArgumentError (a RangeError)
 * as {@link explainValue} does.
 *
 * @example
 * const l = backwardTrace(net, params, x, [7], { kernels }).layers.find((g) => g.name === 'conv1')!;
 * const a = explainParamGradient(net.layers.conv1, l.input, l.dOut, l.dParams, 'w', [1, 1, 0, 4]);
 * a.kind === 'sum' && a.terms.length;   // 784: one term per output position of filter 4
 */
export const explainParamGradient = (layer: AnyLayer, input: Tensor, dOut: Tensor, dParams: Tree, leaf: string, at: readonly number[]): Arithmetic => {
  const grad = (dParams as Record<string, Tensor | undefined>)[leaf];
  if (grad === undefined) throw new ArgumentError(`arithmetic: the layer has no parameter "${leaf}"`);
  const value = read(grad, at);
  const spec = specOf(layer);
  const terms: Term[] = [];
  const n = dOut.shape[0]!;
  if (spec.op === 'conv') {
    const [ky, kx, ci, co] = at as [number, number, number, number];
    const [, h, w] = input.shape as [number, number, number, number];
    const [, ho, wo] = dOut.shape as [number, number, number, number];
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const iy = oy * spec.stride + ky - spec.pad.top, ix = ox * spec.stride + kx - spec.pad.left;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          const x = inside ? read(input, [b, iy, ix, ci]) : 0, g = read(dOut, [b, oy, ox, co]);
          terms.push({ from: inside ? [b, iy, ix, ci] : null, input: x, at: [b, oy, ox, co], weight: g, product: x * g });
        }
      }
    }
    return { kind: 'sum', op: 'conv', terms, sum: sumOf(terms), value };
  }
  if (spec.op === 'dense' && leaf === 'w') {
    const [i, j] = at as [number, number];
    for (let b = 0; b < n; b++) {
      const x = read(input, [b, i]), g = read(dOut, [b, j]);
      terms.push({ from: [b, i], input: x, at: [b, j], weight: g, product: x * g });
    }
    return { kind: 'sum', op: 'dense', terms, sum: sumOf(terms), value };
  }
  // A bias: every dLoss/dOut it was added to, over the batch (and, for a per-channel bias, over the positions).
  const perChannel = spec.op !== 'untiedBias';
  for (let f = 0; f < dOut.data.length; f++) {
    const full = unflat(dOut.shape, f);
    const own = perChannel ? [full[full.length - 1]!] : full.slice(1);
    if (own.every((v, k) => v === at[k])) terms.push({ from: full, input: dOut.data[f]!, at: full, weight: 1, product: dOut.data[f]! });
  }
  return { kind: 'sum', op: spec.op === 'dense' ? 'dense' : 'conv', terms, sum: sumOf(terms), value };
};

/** What {@link explainLoss} gives: the softmax and cross-entropy of one row of logits, step by step. */
export interface LossArithmetic {
  readonly logits: readonly number[];
  /** The largest logit, subtracted before exp so that nothing overflows. */
  readonly max: number;
  /** exp(logit - max), per class. */
  readonly exps: readonly number[];
  readonly sum: number;
  /** exps / sum. */
  readonly probabilities: readonly number[];
  readonly label: number;
  /** -log(probabilities[label]). */
  readonly loss: number;
  /** dLoss/dlogits = probabilities - one-hot(label). */
  readonly dLogits: readonly number[];
}

/**
 * The softmax and cross-entropy of row `row` of logits [n, classes] for
 * one label, with every intermediate number. Throws an ArgumentError (a RangeError) for a label
 * outside the classes.
 *
 * @example
 * const a = explainLoss(fromArray([1, 3], [2, 0, -1]), 0, 0);
 * a.probabilities;   // [0.844, 0.114, 0.042] (about)
 * a.loss;            // 0.17 (about)
 */
export const explainLoss = (logits: Tensor, row: number, label: number): LossArithmetic => {
  const classes = logits.shape[1]!;
  if (!(Number.isInteger(label) && label >= 0 && label < classes)) throw new ArgumentError(`explainLoss: label ${label} is not in 0..${classes - 1}`);
  const z = Array.from(logits.data.subarray(row * classes, (row + 1) * classes));
  const max = Math.max(...z);
  const exps = z.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const probabilities = exps.map((e) => e / sum);
  return { logits: z, max, exps, sum, probabilities, label, loss: -Math.log(probabilities[label]!), dLogits: probabilities.map((q, c) => q - (c === label ? 1 : 0)) };
};
