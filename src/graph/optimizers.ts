// Optimizers as pure functions: (params, grads, state, { lr, kernels }) ->
// new params and new state. Nothing passed in is written to; every step
// allocates new leaves. The per-leaf update is a kernel, so the kernel set
// given to the step (the WASM one, say) runs it.

import { tensor, zerosLike, type Tensor } from '../core/tensor.ts';
import type { AdamHyper, Kernels } from '../ops/kernels/index.ts';
import { mapTree, zipTrees, type Tree } from './tree.ts';

/** What an optimizer step gives: new parameters and new state (those passed in are untouched). */
export interface Step<P extends Tree, S extends Tree> {
  readonly params: P;
  readonly state: S;
}

/** What one optimizer step takes besides the trees: the learning rate and the kernel set. */
export interface StepOptions {
  readonly lr: number;
  readonly kernels: Kernels;
}

/**
 * What a shipped optimizer computes, as data: its kind and hyper-parameters.
 * With it, a step can run elsewhere (split over worker threads, see
 * `parallelGradients` in `mnist-cnn-ts/node`) and give the same numbers.
 */
export type OptimizerHyper =
  | { readonly name: 'sgd' }
  | { readonly name: 'momentum'; readonly mu: number }
  | { readonly name: 'adam'; readonly beta1: number; readonly beta2: number; readonly eps: number };

/**
 * An optimizer: `init` gives the state for a parameter record (zeros shaped
 * like it, or nothing), `step` gives new parameters and new state.
 */
export interface Optimizer<S extends Tree> {
  /** 'sgd', 'momentum' or 'adam'. */
  readonly name: string;
  /** The kind and hyper-parameters, for the shipped optimizers; absent from a user's own. */
  readonly hyper?: OptimizerHyper;
  /** The state a run starts with for this parameter record. */
  readonly init: <P extends Tree>(params: P) => S;
  /**
   * New parameters and state from a step along `grads` (shaped like
   * `params`); writes nothing passed in. Throws a RangeError when `grads` or
   * `state` lacks a leaf of `params`.
   */
  readonly step: <P extends Tree>(params: P, grads: P, state: S, options: StepOptions) => Step<P, S>;
}

// A fused update yields several new leaves per parameter; they are kept by
// path and then assembled into one tree each.
const byPath = <T>(trees: readonly Tree[], f: (leaves: readonly Tensor[]) => T): Map<string, T> => {
  const out = new Map<string, T>();
  zipTrees(trees, (ls, path) => {
    out.set(path, f(ls));
    return ls[0]!;
  });
  return out;
};
const pick = <T extends Tree, R>(template: T, results: Map<string, R>, f: (r: R, like: Tensor) => Tensor): T =>
  mapTree(template, (leaf, path) => f(results.get(path)!, leaf));

/**
 * An optimizer's `hyper` when it can be trusted: the shipped optimizers are
 * frozen, so a copy made by spreading one and replacing its `step` (not
 * frozen) is run through its own `step`, never described by the hyper it
 * carried over.
 */
export const trustedHyper = (optimizer: { readonly hyper?: OptimizerHyper }): OptimizerHyper | undefined =>
  Object.isFrozen(optimizer) ? optimizer.hyper : undefined;

const frozen = <S extends Tree>(optimizer: Optimizer<S>): Optimizer<S> => Object.freeze(optimizer);

/**
 * Plain gradient descent, the reference's rule: p <- p - lr * g. No state.
 *
 * @example
 * const opt = sgd();
 * const { params: next } = opt.step(params, grads, opt.init(params), { lr: 0.1, kernels: jsKernels });
 */

export const sgd = (): Optimizer<{ readonly [k: string]: never }> => frozen<{ readonly [k: string]: never }>({
  name: 'sgd',
  hyper: { name: 'sgd' },
  init: () => ({}),
  step: (params, grads, state, { lr, kernels }) => ({
    params: zipTrees([params, grads], ([p, g]) => tensor(p!.shape, kernels.sgd(p!.data, g!.data, lr))),
    state,
  }),
});

/** Momentum's state: a velocity per parameter, shaped like the parameters. */
export type MomentumState = { readonly velocity: Tree };

/**
 * Heavy-ball momentum: v <- mu v + g; p <- p - lr v.
 *
 * @example
 * const opt = momentum({ mu: 0.9 });
 * let state = opt.init(params);
 * ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels: jsKernels }));
 */
export const momentum = ({ mu = 0.9 }: { readonly mu?: number } = {}): Optimizer<MomentumState> => frozen<MomentumState>({
  name: 'momentum',
  hyper: { name: 'momentum', mu },
  init: (params) => ({ velocity: mapTree(params, zerosLike) }),
  step: (params, grads, state, { lr, kernels }) => {
    const r = byPath([params, state.velocity, grads], ([p, v, g]) => kernels.momentum(p!.data, v!.data, g!.data, mu, lr));
    return {
      params: pick(params, r, (x, p) => tensor(p.shape, x.p)),
      state: { velocity: pick(state.velocity, r, (x, v) => tensor(v.shape, x.v)) },
    };
  },
});

/**
 * Adam's state: the moment estimates `m` and `v`, shaped like the
 * parameters, and the steps taken so far `t`, a [1] tensor.
 */
export type AdamState = { readonly m: Tree; readonly v: Tree; readonly t: Tensor };

/** Adam's hyper-parameters. */
export interface AdamOptions {
  /** Decay of the first moment; default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment; default 0.999. */
  readonly beta2?: number;
  /** Added to the root of the second moment; default 1e-8. */
  readonly eps?: number;
}

/** The numbers of Adam's step `t` (counting from 1): written once, for the step here and the one split over workers. */
export const adamHyper = ({ beta1, beta2, eps }: { readonly beta1: number; readonly beta2: number; readonly eps: number }, t: number, lr: number): AdamHyper =>
  ({ lr, beta1, beta2, c1: 1 - beta1 ** t, c2: 1 - beta2 ** t, eps });

/**
 * The parameter-shaped trees of an optimizer's state, in the order a flat
 * update takes them (none for SGD; momentum's velocity; Adam's m and v).
 * Throws a RangeError when the state is another optimizer's.
 */
export const stateTrees = (hyper: OptimizerHyper, state: Tree): Tree[] => {
  const st = state as { readonly velocity?: Tree; readonly m?: Tree; readonly v?: Tree; readonly t?: Tensor };
  const trees = hyper.name === 'sgd' ? [] : hyper.name === 'momentum' ? [st.velocity] : [st.m, st.v];
  if (trees.some((t) => t === undefined) || (hyper.name === 'adam' && st.t === undefined)) {
    throw new RangeError(`the state is not ${hyper.name}'s (${hyper.name === 'adam' ? '{ m, v, t }' : '{ velocity }'}); make it with the optimizer's init`);
  }
  return trees as Tree[];
};

/** Adam's step number after one more step from `state` (0 for the others, which do not count). */
export const nextStepNumber = (hyper: OptimizerHyper, state: Tree): number =>
  hyper.name === 'adam' ? (state as AdamState).t.data[0]! + 1 : 0;

/** The state after a step, from its new trees (in {@link stateTrees}' order) and the step number: SGD keeps `state`. */
export const stateFromTrees = (hyper: OptimizerHyper, state: Tree, trees: readonly Tree[], t: number): Tree =>
  hyper.name === 'sgd' ? state
    : hyper.name === 'momentum' ? { velocity: trees[0]! }
    : { m: trees[0]!, v: trees[1]!, t: tensor([1], Float32Array.of(t)) };

/**
 * Adam (Kingma & Ba) with bias correction; the step count is a tensor so
 * that checkpoints keep it.
 *
 * @example
 * const opt = adam();                        // beta1 0.9, beta2 0.999, eps 1e-8
 * let state = opt.init(params);
 * ({ params, state } = opt.step(params, grads, state, { lr: 1e-3, kernels }));
 */
export const adam = ({ beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }: AdamOptions = {}): Optimizer<AdamState> => frozen<AdamState>({
  name: 'adam',
  hyper: { name: 'adam', beta1, beta2, eps },
  init: (params) => ({ m: mapTree(params, zerosLike), v: mapTree(params, zerosLike), t: tensor([1], new Float32Array(1)) }),
  step: (params, grads, state, { lr, kernels }) => {
    const t = state.t.data[0]! + 1;
    const h = adamHyper({ beta1, beta2, eps }, t, lr);
    const r = byPath([params, state.m, state.v, grads], ([p, m, v, g]) => kernels.adam(p!.data, m!.data, v!.data, g!.data, h));
    return {
      params: pick(params, r, (x, p) => tensor(p.shape, x.p)),
      state: {
        m: pick(state.m, r, (x, m) => tensor(m.shape, x.m)),
        v: pick(state.v, r, (x, v) => tensor(v.shape, x.v)),
        t: tensor([1], Float32Array.of(t)),
      },
    };
  },
});

/** The optimizers {@link optimizerByName} knows. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** An optimizer by name, with its default hyper-parameters (momentum 0.9; Adam 0.9, 0.999, 1e-8). */
export const optimizerByName = (name: OptimizerName): Optimizer<Tree> =>
  (name === 'sgd' ? sgd() : name === 'momentum' ? momentum() : adam()) as unknown as Optimizer<Tree>;
