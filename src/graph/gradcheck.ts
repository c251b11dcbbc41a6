// A gradient checker for users of the library, like the ones big frameworks
// ship: the op (or whole network) is run in float64, a random cotangent u
// turns its output into the scalar <u, out>, and every input entry's analytic
// gradient is compared with a central finite difference of that scalar.

import { normal, type Key, key as makeKey } from '../core/random.ts';
import { astype, copyData, tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels, type Kernels } from '../ops/kernels/index.ts';
import type { Op } from '../ops/op.ts';
import type { Layer } from './layer.ts';
import { fromLeaves, leaves, type Tree } from './tree.ts';

/** The named inputs of a function under test. */
export type Inputs = Readonly<Record<string, Tensor>>;
/** @inline */
type Grads = Readonly<Record<string, Tensor | undefined>>;
/** A function under test: an op, or a whole network with its loss, of named inputs. */
export type Checked<I extends Inputs = Inputs> = (inputs: I) => Op<Tensor, Grads> | Op<number, Grads>;

/** Tolerances and sampling of {@link checkGradients}. */
export interface GradCheckOptions {
  /** The finite-difference step; default 1e-6. */
  readonly eps?: number;
  /** Relative tolerance; default 1e-5. */
  readonly rtol?: number;
  /** Absolute tolerance; default 1e-8. */
  readonly atol?: number;
  /** Draws the random cotangent; default key(0). */
  readonly key?: Key;
  /** Check at most this many entries per input (chosen at random); all when absent. */
  readonly maxEntries?: number;
}

/** A gradient entry out of tolerance. */
export interface Mismatch {
  /** The input's name. */
  readonly input: string;
  /** The entry's flat (row-major) index in that input. */
  readonly index: number;
  /** The gradient the backward gave. */
  readonly analytic: number;
  /** The finite-difference estimate. */
  readonly numeric: number;
}

/** What {@link checkGradients} found. */
export interface GradCheckResult {
  /** True when every checked entry is within tolerance. */
  readonly ok: boolean;
  /** How many entries were checked. */
  readonly checked: number;
  /** Every entry out of tolerance, in the order checked. */
  readonly mismatches: readonly Mismatch[];
  /** Largest |analytic - numeric| / (atol + rtol * max(|analytic|, |numeric|)); <= 1 passes. */
  readonly worstRatio: number;
  /** One line for a test's output: how many matched, or the first mismatch. */
  readonly message: string;
}

const dot = (u: Float64Array, out: Tensor | number): number => {
  if (typeof out === 'number') return u[0]! * out;
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i]! * out.data[i]!;
  return s;
};

/**
 * Checks the backward of `f` against central finite differences, in
 * float64: the inputs are cast to float64, a random cotangent u turns f's
 * output into the scalar <u, out>, and each entry's analytic gradient is
 * compared with (s(x + eps) - s(x - eps)) / 2eps of that scalar. An entry
 * passes when |analytic - numeric| <= atol + rtol · max(|analytic|, |numeric|).
 * Mismatches are reported in the result, not thrown; throws an Error when
 * the backward gives no gradient for an input.
 *
 * @example
 * const x = fromArray([2, 3], [1, -2, 3, -4, 5, -6]);
 * const w = fromArray([3, 2], [1, 2, 3, 4, 5, 6]);
 * const b = fromArray([2], [0.5, -0.5]);
 * checkGradients((i) => ops.dense(i.x!, i.w!, i.b!), { x, w, b }).message;   // 'gradients match on 14 entries (...)'
 */
export const checkGradients = <I extends Inputs>(f: Checked<I>, inputs0: I, opts: GradCheckOptions = {}): GradCheckResult => {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-8, key = makeKey(0), maxEntries } = opts;
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(inputs0)) inputs[name] = astype(t, 'float64');

  // The float64 copies have the caller's names, so they are an I.
  const run = (i: Record<string, Tensor>) => f(i as unknown as I);
  const base = run(inputs);
  const outSize = typeof base.out === 'number' ? 1 : base.out.data.length;
  const u = normal(key, outSize);
  // The cotangent has the output's type: a number for a loss, a tensor otherwise.
  const backward = base.backward as (d: Tensor | number) => Grads;
  const grads = backward(typeof base.out === 'number' ? u[0]! : tensor(base.out.shape, u));

  const mismatches: Mismatch[] = [];
  let checked = 0;
  let worstRatio = 0;
  Object.entries(inputs).forEach(([name, t], inputIndex) => {
    const g = grads[name];
    if (g === undefined) throw new Error(`checkGradients: backward returned no gradient for input "${name}"`);
    const n = t.data.length;
    const picks =
      maxEntries === undefined || maxEntries >= n
        ? Array.from({ length: n }, (_, i) => i)
        : Array.from(normal(makeKey(inputIndex + 7919 * n), maxEntries), (z) => Math.floor(Math.abs(z * 1e6)) % n);
    for (const i of picks) {
      const probe = (delta: number): number => {
        const d = copyData(t);
        d[i] = d[i]! + delta;
        return dot(u, run({ ...inputs, [name]: tensor(t.shape, d) }).out);
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      const analytic = g.data[i]!;
      const ratio = Math.abs(analytic - numeric) / (atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric)));
      worstRatio = Math.max(worstRatio, Number.isNaN(ratio) ? Infinity : ratio);
      if (!(ratio <= 1)) mismatches.push({ input: name, index: i, analytic, numeric });
      checked++;
    }
  });
  const first = mismatches[0];
  const message =
    first === undefined
      ? `gradients match on ${checked} entries (worst error ${worstRatio.toFixed(3)} of tolerance)`
      : `${mismatches.length} of ${checked} gradient entries differ; first: ${first.input}[${first.index}] analytic ${first.analytic} vs numeric ${first.numeric}`;
  return { ok: first === undefined, checked, mismatches, worstRatio, message };
};

/**
 * Checks a whole layer or network in one call: the gradient of its output
 * with respect to its input `x` and to every leaf of its parameter record,
 * reported by path (`x`, `params.conv1.w`, ...). Runs in float64 on
 * `jsKernels` unless `kernels` says otherwise (float64 data always takes the
 * TypeScript path of a kernel set).
 *
 * @example
 * const net = serial({ fc: layers.dense({ units: 3 }), act: layers.relu() });
 * const params = net.init(key(0), [4]);
 * checkLayerGradients(net, params, fromArray([2, 4], [1, -2, 3, 4, 5, 6, -7, 8])).ok;   // true
 */
export const checkLayerGradients = <P extends Tree>(
  layer: Layer<P>,
  params: P,
  x: Tensor,
  opts: GradCheckOptions & { readonly kernels?: Kernels } = {},
): GradCheckResult => {
  const run = { kernels: opts.kernels ?? jsKernels };
  const inputs: Record<string, Tensor> = { x };
  for (const [path, t] of leaves(params)) inputs[`params.${path}`] = t;
  return checkGradients((i) => {
    const p = fromLeaves(params, (path) => i[`params.${path}`]!);
    const op = layer.apply(p, i.x!, run);
    return {
      out: op.out,
      backward: (dy: Tensor) => {
        const g = op.backward(dy);
        const grads: Record<string, Tensor> = { x: g.x };
        for (const [path, t] of leaves(g.params)) grads[`params.${path}`] = t;
        return grads;
      },
    };
  }, inputs, opts);
};
