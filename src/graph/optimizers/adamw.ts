// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay. Each step
// first shrinks every parameter, p <- p - (lr wd) p, then takes Adam's step
// from the shrunk parameters, as PyTorch's AdamW does. The decay runs on the
// `sgd` kernel with the parameters as their own gradient (the WASM loop reads
// p and g before it writes p, so the alias is safe), eagerly and on the heap
// alike; its state is Adam's.

import { optionsBag } from '../../core/check.ts';
import { tensor } from '../../core/tensor.ts';
import { mapTree } from '../tree.ts';
import { adamHeapUpdate, adamInit, adamNext, adamStep, type AdamOptions, type AdamState } from './adam.ts';
import { defineOptimizer, type Optimizer, type OptimizerDefinition } from './definition.ts';

/** AdamW's hyper-parameters: Adam's, and the decoupled weight decay. */
export interface AdamWOptions extends AdamOptions {
  /** The decay per unit of learning rate: each step multiplies p by (1 - lr weightDecay); default 0.01. */
  readonly weightDecay?: number;
}

/** AdamW's description. */
export type AdamWSettings = { readonly name: 'adamw'; readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number };

const definition: OptimizerDefinition<AdamWSettings, AdamState> = {
  name: 'adamw',
  trees: ['m', 'v'],
  scalars: ['t'],
  init: adamInit,
  step: (h, params, grads, state, options) => {
    const rate = options.lr * h.weightDecay;
    const decayed = mapTree(params, (p) => tensor(p.shape, options.kernels.sgd(p.data, p.data, rate)));
    return adamStep(h, decayed, grads, state, options);
  },
  heapUpdate: (h, state, lr) => {
    const rate = lr * h.weightDecay;
    const adamUpdate = adamHeapUpdate(h, state, lr);
    return (el, at) => {
      el.sgd(at.p, at.p, at.n, rate);
      adamUpdate(el, at);
    };
  },
  next: adamNext,
};

/**
 * AdamW: Adam with decoupled weight decay (every parameter shrinks by
 * lr * weightDecay of itself each step, before Adam's step). Its state is
 * Adam's `{ m, v, t }`.
 *
 * @example
 * const opt = adamw({ weightDecay: 0.01 });  // beta1 0.9, beta2 0.999, eps 1e-8
 * let state = opt.init(params);
 * ({ params, state } = opt.step(params, grads, state, { lr: 1e-3, kernels }));
 */
export const adamw = (options: AdamWOptions = {}): Optimizer<AdamState> => {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = optionsBag('adamw', 'options', options, '{ beta1?, beta2?, eps?, weightDecay? }');
  return defineOptimizer(definition, { name: 'adamw', beta1, beta2, eps, weightDecay });
};
