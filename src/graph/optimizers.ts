// Optimizers as pure functions: (params, grads, state, lr) -> new params and
// new state. Nothing passed in is written to; every step allocates new leaves.

import { alloc, dtypeOf, tensor, zerosLike, type Data, type Tensor } from '../core/tensor.ts';
import { mapTree, zipTrees, type Tree } from './tree.ts';

export interface Step<P extends Tree, S extends Tree> {
  readonly params: P;
  readonly state: S;
}

export interface Optimizer<S extends Tree> {
  readonly name: string;
  readonly init: <P extends Tree>(params: P) => S;
  readonly step: <P extends Tree>(params: P, grads: P, state: S, lr: number) => Step<P, S>;
}

const fresh = (like: Tensor): Data => alloc(dtypeOf(like), like.data.length);

/** The reference's rule: p <- p - lr * g. No state. */
export const sgd = (): Optimizer<{ readonly [k: string]: never }> => ({
  name: 'sgd',
  init: () => ({}),
  step: (params, grads, state, lr) => ({
    params: zipTrees([params, grads], ([p, g]) => {
      const out = fresh(p!);
      const pd = p!.data, gd = g!.data;
      for (let i = 0; i < out.length; i++) out[i] = pd[i]! - lr * gd[i]!;
      return tensor(p!.shape, out);
    }),
    state,
  }),
});

type MomentumState = { readonly velocity: Tree };

/** Heavy-ball momentum: v <- mu v + g; p <- p - lr v. */
export const momentum = (mu = 0.9): Optimizer<MomentumState> => ({
  name: 'momentum',
  init: (params) => ({ velocity: mapTree(params, zerosLike) }),
  step: (params, grads, state, lr) => {
    const velocity = zipTrees<Tree>([state.velocity, grads], ([v, g]) => {
      const out = fresh(v!);
      const vd = v!.data, gd = g!.data;
      for (let i = 0; i < out.length; i++) out[i] = mu * vd[i]! + gd[i]!;
      return tensor(v!.shape, out);
    });
    const next = zipTrees<typeof params>([params, velocity], ([p, v]) => {
      const out = fresh(p!);
      const pd = p!.data, vd = v!.data;
      for (let i = 0; i < out.length; i++) out[i] = pd[i]! - lr * vd[i]!;
      return tensor(p!.shape, out);
    });
    return { params: next, state: { velocity } };
  },
});

type AdamState = { readonly m: Tree; readonly v: Tree; readonly t: Tensor };

/** Adam (Kingma & Ba) with bias correction; the step count is a tensor so that checkpoints keep it. */
export const adam = (beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Optimizer<AdamState> => ({
  name: 'adam',
  init: (params) => ({ m: mapTree(params, zerosLike), v: mapTree(params, zerosLike), t: tensor([1], new Float32Array(1)) }),
  step: (params, grads, state, lr) => {
    const t = state.t.data[0]! + 1;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const m = zipTrees<Tree>([state.m, grads], ([m0, g]) => {
      const out = fresh(m0!);
      const md = m0!.data, gd = g!.data;
      for (let i = 0; i < out.length; i++) out[i] = beta1 * md[i]! + (1 - beta1) * gd[i]!;
      return tensor(m0!.shape, out);
    });
    const v = zipTrees<Tree>([state.v, grads], ([v0, g]) => {
      const out = fresh(v0!);
      const vd = v0!.data, gd = g!.data;
      for (let i = 0; i < out.length; i++) out[i] = beta2 * vd[i]! + (1 - beta2) * gd[i]! * gd[i]!;
      return tensor(v0!.shape, out);
    });
    const next = zipTrees<typeof params>([params, m, v], ([p, mm, vv]) => {
      const out = fresh(p!);
      const pd = p!.data, md = mm!.data, vd = vv!.data;
      for (let i = 0; i < out.length; i++) out[i] = pd[i]! - (lr * (md[i]! / c1)) / (Math.sqrt(vd[i]! / c2) + eps);
      return tensor(p!.shape, out);
    });
    return { params: next, state: { m, v, t: tensor([1], Float32Array.of(t)) } };
  },
});

export type OptimizerName = 'sgd' | 'momentum' | 'adam';

export const optimizerByName = (name: OptimizerName): Optimizer<Tree> =>
  (name === 'sgd' ? sgd() : name === 'momentum' ? momentum() : adam()) as unknown as Optimizer<Tree>;
