// The optimizers the library defines, registered by name: the one place that
// lists them. The CLI's --optimizer, checkpoints' configs and the gradient
// workers (which rebuild an optimizer from its description) read this table;
// everything else reads an optimizer's own definition through heapOptimizer.

import { ArgumentError, oneOf } from '../../core/check.ts';
import type { Tree } from '../tree.ts';
import { adam, type AdamSettings } from './adam.ts';
import { adamw, type AdamWSettings } from './adamw.ts';
import type { Optimizer } from './definition.ts';
import { momentum, type MomentumHyper } from './momentum.ts';
import { sgd, type SgdHyper } from './sgd.ts';

export { sgd, type SgdHyper, type SgdState } from './sgd.ts';
export { momentum, type MomentumHyper, type MomentumState } from './momentum.ts';
export { adam, type AdamOptions, type AdamSettings, type AdamState } from './adam.ts';
export { adamw, type AdamWOptions, type AdamWSettings } from './adamw.ts';
export {
  defineOptimizer, heapOptimizer,
  type HeapOptimizer, type HeapRange, type HeapUpdate, type HeapUpdateKernels, type Hyper, type Optimizer, type OptimizerDefinition, type Step, type StepOptions,
} from './definition.ts';

/** The description of one of the library's optimizers: its kind and hyper-parameters, plain data. */
export type OptimizerHyper = SgdHyper | MomentumHyper | AdamSettings | AdamWSettings;

/** The optimizers {@link optimizerByName} knows. */
export type OptimizerName = OptimizerHyper['name'];

// Each optimizer's factory, taking its description as its options.
const registry: { readonly [N in OptimizerName]: (hyper?: Extract<OptimizerHyper, { readonly name: N }>) => Optimizer<never> } = {
  sgd: () => sgd() as unknown as Optimizer<never>,
  momentum: (h) => momentum(h) as unknown as Optimizer<never>,
  adam: (h) => adam(h) as unknown as Optimizer<never>,
  adamw: (h) => adamw(h) as unknown as Optimizer<never>,
};

/** Their names, in the order the CLI's help lists them. */
export const optimizerNames = Object.keys(registry) as readonly OptimizerName[];

/**
 * An optimizer by name, with its default hyper-parameters (momentum 0.9;
 * Adam and AdamW 0.9, 0.999, 1e-8; AdamW's weight decay 0.01).
 *
 * @example
 * const opt = optimizerByName('adamw');
 */
export const optimizerByName = (name: OptimizerName): Optimizer<Tree> => registry[oneOf('optimizerByName', 'name', name, optimizerNames)]() as unknown as Optimizer<Tree>;

/**
 * The optimizer a description gives (`optimizer.hyper`, sent to a worker):
 * the same steps, bit for bit. Throws an ArgumentError (a RangeError) for a kind the library
 * does not define.
 *
 * @example
 * const again = optimizerFromHyper(adam({ beta1: 0.8 }).hyper as OptimizerHyper);
 */
export const optimizerFromHyper = (hyper: OptimizerHyper): Optimizer<Tree> => {
  if (!Object.hasOwn(registry, hyper.name)) throw new ArgumentError(`no optimizer is called "${hyper.name}" (${optimizerNames.join(', ')})`);
  return (registry[hyper.name] as unknown as (h: OptimizerHyper) => Optimizer<Tree>)(hyper);
};
