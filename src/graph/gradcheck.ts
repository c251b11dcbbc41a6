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

export type Inputs = Readonly<Record<string, Tensor>>;
type Grads = Readonly<Record<string, Tensor | undefined>>;
/** A function under test: an op, or a whole network with its loss, of named inputs. */
export type Checked = (inputs: Inputs) => Op<Tensor, Grads> | Op<number, Grads>;

export interface GradCheckOptions {
  readonly eps?: number;
  readonly rtol?: number;
  readonly atol?: number;
  readonly key?: Key;
  /** Check at most this many entries per input (chosen at random); all when absent. */
  readonly maxEntries?: number;
}

export interface Mismatch {
  readonly input: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

export interface GradCheckResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly mismatches: readonly Mismatch[];
  /** Largest |analytic - numeric| / (atol + rtol * max(|analytic|, |numeric|)); <= 1 passes. */
  readonly worstRatio: number;
  readonly message: string;
}

const dot = (u: Float64Array, out: Tensor | number): number => {
  if (typeof out === 'number') return u[0]! * out;
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i]! * out.data[i]!;
  return s;
};

export const checkGradients = (f: Checked, inputs0: Inputs, opts: GradCheckOptions = {}): GradCheckResult => {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-8, key = makeKey(0), maxEntries } = opts;
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(inputs0)) inputs[name] = astype(t, 'float64');

  const base = f(inputs);
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
        return dot(u, f({ ...inputs, [name]: tensor(t.shape, d) }).out);
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
