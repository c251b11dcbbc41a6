// Heavy-ball momentum: v <- mu v + g; p <- p - lr v. Its state is a velocity per parameter.

import { optionsBag } from '../../core/check.ts';
import { tensor, zerosLike } from '../../core/tensor.ts';
import { mapTree, type Tree } from '../tree.ts';
import { byPath, defineOptimizer, pick, type Optimizer, type OptimizerDefinition } from './definition.ts';

/** Momentum's description: the velocity's decay `mu`. */
export type MomentumHyper = { readonly name: 'momentum'; readonly mu: number };

/** Momentum's state: a velocity per parameter, shaped like the parameters. */
export type MomentumState = { readonly velocity: Tree };

const definition: OptimizerDefinition<MomentumHyper, MomentumState> = {
  name: 'momentum',
  trees: ['velocity'],
  scalars: [],
  init: (_, params) => ({ velocity: mapTree(params, zerosLike) }),
  step: ({ mu }, params, grads, state, { lr, kernels }) => {
    const r = byPath([params, state.velocity, grads], ([p, v, g]) => kernels.momentum(p!.data, v!.data, g!.data, mu, lr));
    return {
      params: pick(params, r, (x, p) => tensor(p.shape, x.p)),
      state: { velocity: pick(state.velocity, r, (x, v) => tensor(v.shape, x.v)) },
    };
  },
  heapUpdate: ({ mu }, _, lr) => (el, at) => el.momentum(at.p, at.s[0]!, at.g, at.n, mu, lr),
  next: (_, __, [velocity]) => ({ velocity: velocity! }),
};

/**
 * Heavy-ball momentum: v <- mu v + g; p <- p - lr v.
 *
 * @example
 * const opt = momentum({ mu: 0.9 });
 * let state = opt.init(params);
 * ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels: jsKernels }));
 */
export const momentum = (options: { readonly mu?: number } = {}): Optimizer<MomentumState> => {
  const { mu = 0.9 } = optionsBag('momentum', 'options', options, '{ mu? }');
  return defineOptimizer(definition, { name: 'momentum', mu });
};
