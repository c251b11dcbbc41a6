// Plain gradient descent, the reference's rule: p <- p - lr g. No state.

import { tensor } from '../../core/tensor.ts';
import { zipTrees } from '../tree.ts';
import { defineOptimizer, type Optimizer, type OptimizerDefinition } from './definition.ts';

/** SGD's description: it has no hyper-parameters besides the rate each step is given. */
export type SgdHyper = { readonly name: 'sgd' };

/** SGD's state: nothing. */
export type SgdState = { readonly [k: string]: never };

const definition: OptimizerDefinition<SgdHyper, SgdState> = {
  name: 'sgd',
  trees: [],
  scalars: [],
  init: () => ({}),
  step: (_, params, grads, state, { lr, kernels }) => ({
    params: zipTrees([params, grads], ([p, g]) => tensor(p!.shape, kernels.sgd(p!.data, g!.data, lr))),
    state,
  }),
  heapUpdate: (_, __, lr) => (el, at) => el.sgd(at.p, at.g, at.n, lr),
  next: (_, state) => state,
  sgdRate: (_, lr) => lr,
};

/**
 * Plain gradient descent, the reference's rule: p <- p - lr * g. No state.
 *
 * @example
 * const opt = sgd();
 * const { params: next } = opt.step(params, grads, opt.init(params), { lr: 0.1, kernels: jsKernels });
 */
export const sgd = (): Optimizer<SgdState> => defineOptimizer(definition, { name: 'sgd' });
