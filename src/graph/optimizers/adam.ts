// Adam (Kingma & Ba) with bias correction. Its state is the moment estimates
// m and v, shaped like the parameters, and the step count t, a [1] tensor so
// that checkpoints keep it. The moment update is exported for AdamW.

import { optionsBag } from '../../core/check.ts';
import { tensor, zerosLike, type Tensor } from '../../core/tensor.ts';
import type { AdamHyper as AdamStepNumbers } from '../../ops/kernels/types.ts';
import { adamAt } from '../../ops/kernels/wasm/elementwise-wasm.ts';
import { mapTree, type Tree } from '../tree.ts';
import { byPath, defineOptimizer, pick, type HeapUpdate, type Optimizer, type OptimizerDefinition, type Step, type StepOptions } from './definition.ts';

/** Adam's hyper-parameters. */
export interface AdamOptions {
  /** Decay of the first moment; default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment; default 0.999. */
  readonly beta2?: number;
  /** Added to the root of the second moment; default 1e-8. */
  readonly eps?: number;
}

/** Adam's description. */
export type AdamSettings = { readonly name: 'adam'; readonly beta1: number; readonly beta2: number; readonly eps: number };

/**
 * Adam's state: the moment estimates `m` and `v`, shaped like the
 * parameters, and the steps taken so far `t`, a [1] tensor.
 */
export type AdamState = { readonly m: Tree; readonly v: Tree; readonly t: Tensor };

type Moments = Pick<AdamSettings, 'beta1' | 'beta2' | 'eps'>;

// The numbers of the step that follows `state` (t counting from 1): one place for the eager and the heap update.
const numbers = ({ beta1, beta2, eps }: Moments, state: AdamState, lr: number): AdamStepNumbers => {
  const t = state.t.data[0]! + 1;
  return { lr, beta1, beta2, c1: 1 - beta1 ** t, c2: 1 - beta2 ** t, eps };
};

/** Adam's state at the start of a run (AdamW's too). */
export const adamInit = (_: Moments, params: Tree): AdamState =>
  ({ m: mapTree(params, zerosLike), v: mapTree(params, zerosLike), t: tensor([1], new Float32Array(1)) });

/** Adam's state after a step, from its new m and v (AdamW's too). */
export const adamNext = (_: Moments, state: AdamState, [m, v]: readonly Tree[]): AdamState =>
  ({ m: m!, v: v!, t: tensor([1], Float32Array.of(state.t.data[0]! + 1)) });

/** Adam's eager step on the kernel set's `adam` kernel (AdamW's after its decay). */
export const adamStep = <P extends Tree>(h: Moments, params: P, grads: P, state: AdamState, { lr, kernels }: StepOptions): Step<P, AdamState> => {
  const k = numbers(h, state, lr);
  const r = byPath([params, state.m, state.v, grads], ([p, m, v, g]) => kernels.adam(p!.data, m!.data, v!.data, g!.data, k));
  return {
    params: pick(params, r, (x, p) => tensor(p.shape, x.p)),
    state: adamNext(h, state, [pick(state.m, r, (x, m) => tensor(m.shape, x.m)), pick(state.v, r, (x, v) => tensor(v.shape, x.v))]),
  };
};

/** Adam's heap update: the `adam` export with the float32 arguments the kernel set passes it (AdamW's after its decay). */
export const adamHeapUpdate = (h: Moments, state: AdamState, lr: number): HeapUpdate => {
  const k = numbers(h, state, lr);
  return (el, at) => adamAt(el, at.p, at.s[0]!, at.s[1]!, at.g, at.n, k);
};

const definition: OptimizerDefinition<AdamSettings, AdamState> = {
  name: 'adam',
  trees: ['m', 'v'],
  scalars: ['t'],
  init: adamInit,
  step: adamStep,
  heapUpdate: adamHeapUpdate,
  next: adamNext,
};

/**
 * Adam (Kingma & Ba) with bias correction; the step count is a tensor so
 * that checkpoints keep it.
 *
 * @example
 * const opt = adam();                        // beta1 0.9, beta2 0.999, eps 1e-8
 * let state = opt.init(params);
 * ({ params, state } = opt.step(params, grads, state, { lr: 1e-3, kernels }));
 */
export const adam = (options: AdamOptions = {}): Optimizer<AdamState> => {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = optionsBag('adam', 'options', options, '{ beta1?, beta2?, eps? }');
  return defineOptimizer(definition, { name: 'adam', beta1, beta2, eps });
};
