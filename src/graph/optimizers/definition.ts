// What an optimizer is, written once per optimizer (sgd.ts, momentum.ts,
// adam.ts, adamw.ts): its serialisable description, its state, its pure
// eager step on a kernel set, and its update on heap offsets. This file holds
// the shared types, how a definition becomes the `Optimizer` value users
// call, and `heapOptimizer`, which compiled steps and gradient workers read
// instead of switching on an optimizer's name.

import { ArgumentError, finiteNumber, float32Number, kernelSet, optionsBag } from '../../core/check.ts';
import { type Tensor } from '../../core/tensor.ts';
import type { Kernels } from '../../ops/kernels/types.ts';
import type { ElementwiseExports } from '../../ops/kernels/wasm/elementwise-wasm.ts';
import { mapTree, zipTrees, type Tree } from '../tree.ts';

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
 * An optimizer's description as plain data: its kind (`name`) and
 * hyper-parameters. It crosses postMessage (gradient workers rebuild the
 * optimizer from it) and names the optimizer in logs.
 */
export type Hyper = { readonly name: string; readonly [setting: string]: string | number };

/**
 * An optimizer: `init` gives the state for a parameter record (zeros shaped
 * like it, or nothing), `step` gives new parameters and new state.
 */
export interface Optimizer<S extends Tree> {
  /** 'sgd', 'momentum', 'adam', 'adamw', or your own optimizer's name. */
  readonly name: string;
  /** The kind and hyper-parameters, for the library's optimizers; absent from a user's own. */
  readonly hyper?: Hyper;
  /** The state a run starts with for this parameter record. */
  readonly init: <P extends Tree>(params: P) => S;
  /**
   * New parameters and state from a step along `grads` (shaped like
   * `params`); writes nothing passed in. Throws an ArgumentError (a RangeError) when `grads` or
   * `state` lacks a leaf of `params`.
   */
  readonly step: <P extends Tree>(params: P, grads: P, state: S, options: StepOptions) => Step<P, S>;
}

/** The WASM kernels a heap update may call: the elementwise module's optimizer exports, on byte offsets. */
export type HeapUpdateKernels = Pick<ElementwiseExports, 'sgd' | 'momentum' | 'adam'>;

/**
 * Where one leaf range lives in a WASM heap, as byte offsets: its
 * parameters `p`, gradient `g`, and state arrays `s` (in the definition's
 * `trees` order), `n` values each.
 */
export interface HeapRange {
  readonly p: number;
  readonly g: number;
  readonly s: readonly number[];
  readonly n: number;
}

/** One step's update of a leaf range, in place on the heap. */
export type HeapUpdate = (el: HeapUpdateKernels, at: HeapRange) => void;

/**
 * An optimizer defined once. Its state is a record: the parameter-shaped
 * trees under the keys `trees` (in the order heap updates take their
 * arrays), and any other entries (Adam's step count) under `scalars`.
 * `step` runs on a kernel set's optimizer kernels, `heapUpdate` on the same
 * kernels' WASM exports with the same float32 arguments, so that a compiled
 * or worker step gives the eager step's numbers bit for bit.
 */
export interface OptimizerDefinition<H extends Hyper, S extends Tree> {
  /** The kind, as `hyper.name` holds it. */
  readonly name: H['name'];
  /** The keys of the state's parameter-shaped trees, in the heap update's order. */
  readonly trees: readonly string[];
  /** The keys of the state's other entries. */
  readonly scalars: readonly string[];
  /** The state a run starts with. */
  readonly init: (hyper: H, params: Tree) => S;
  /** The eager step, on the kernel set's kernels. */
  readonly step: <P extends Tree>(hyper: H, params: P, grads: P, state: S, options: StepOptions) => Step<P, S>;
  /** The heap update of the step that follows `state` (which it reads only for its scalars). */
  readonly heapUpdate: (hyper: H, state: S, lr: number) => HeapUpdate;
  /** The state after the step that follows `state`, given the new trees (in `trees` order). */
  readonly next: (hyper: H, state: S, trees: readonly Tree[]) => S;
  /** Present when every step is plain SGD, p <- p - r g, exactly `el.sgd(p, g, n, r)`: the rate r at lr. */
  readonly sgdRate?: (hyper: H, lr: number) => number;
}

/**
 * What compiled steps and gradient workers need of an optimizer, bound to
 * its hyper-parameters: see {@link heapOptimizer}.
 */
export interface HeapOptimizer<S extends Tree = Tree> {
  /** The description the optimizer was made from: what a worker rebuilds it from. */
  readonly hyper: Hyper;
  /** The keys of the state's parameter-shaped trees, in update order. */
  readonly trees: readonly string[];
  /** The state's parameter-shaped trees in order; a RangeError naming the expected state when `state` is another optimizer's. */
  readonly stateTrees: (state: S) => Tree[];
  /** The heap update of one leaf range for the step that follows `state`; `at.s` are that leaf's state arrays in `stateTrees` order. */
  readonly update: (state: S, lr: number) => HeapUpdate;
  /** The state after the step that follows `state`, from the new trees. */
  readonly next: (state: S, trees: Tree[]) => S;
  /** The state's entries other than its trees (Adam's step count): plain data, sent to workers with each step. */
  readonly rest: (state: S) => Tree;
  /** A state from `rest` and trees (in order): how a worker rebuilds the state of its slice. */
  readonly assemble: (rest: Tree, trees: readonly Tree[]) => S;
  /** Present when a step is plain SGD (p <- p - r g on every leaf): the rate r at lr, so a pass that forms a gradient can apply it at once. */
  readonly sgdRate?: (lr: number) => number;
}

/**
 * What an optimizer's `step` checks before it runs: three trees and the
 * options `{ lr, kernels }` (a learning rate given where the options go is
 * the usual slip).
 */
export const stepArgs = (fn: string, params: unknown, grads: unknown, state: unknown, options: unknown): void => {
  optionsBag(fn, 'params', params, 'the parameter record');
  optionsBag(fn, 'grads', grads, 'a record shaped like the parameters');
  optionsBag(fn, 'state', state, "the optimizer's state, as its init makes it");
  const bag = optionsBag(fn, 'options', options, '{ lr, kernels }');
  float32Number(fn, 'options.lr', bag['lr']);
  kernelSet(fn, 'options.kernels', bag['kernels']);
};

// The mark of an optimizer made from a definition: its own step, and the heap form of that step.
const defined = Symbol('optimizer definition');
interface Mark {
  readonly step: unknown;
  readonly heap: HeapOptimizer<never>;
}

/**
 * An optimizer's heap form, when the library defines it: undefined for a
 * user's own optimizer, and for a copy of one of the library's whose `step`
 * was replaced (`{ ...adam(), step }`), which must run through that step.
 * The mark is explicit: an optimizer made by {@link defineOptimizer} carries
 * its definition together with the step it made, and only an optimizer
 * whose `step` is that very function is described by it.
 *
 * @example
 * const h = heapOptimizer(adam());
 * h?.stateTrees(adam().init(params));     // [m, v]
 * heapOptimizer({ ...adam(), step: mine }); // undefined: runs through `mine`
 */
export const heapOptimizer = <S extends Tree>(optimizer: Optimizer<S>): HeapOptimizer<S> | undefined => {
  const mark = (optimizer as { readonly [defined]?: Mark })[defined];
  return mark !== undefined && mark.step === optimizer.step ? (mark.heap as unknown as HeapOptimizer<S>) : undefined;
};

/**
 * The optimizer value of a definition at hyper-parameters `hyper`: what
 * `adam()`, `sgd()` and the others return. Frozen, and marked for
 * {@link heapOptimizer}.
 *
 * @example
 * export const sgd = (): Optimizer<SgdState> => defineOptimizer(sgdDefinition, { name: 'sgd' });
 */
export const defineOptimizer = <H extends Hyper, S extends Tree>(def: OptimizerDefinition<H, S>, hyper: NoInfer<H>): Optimizer<S> => {
  for (const [k, v] of Object.entries(hyper)) if (k !== 'name') finiteNumber(def.name, k, v);
  const keys = [...def.trees, ...def.scalars];
  const stateTrees = (state: S, fn?: string): Tree[] => {
    const st = state as { readonly [k: string]: Tree | undefined };
    if (keys.some((k) => st[k] === undefined)) {
      throw new ArgumentError(`${fn === undefined ? '' : `${fn}: `}the state is not ${def.name}'s ({ ${keys.join(', ')} }); make it with the optimizer's init`);
    }
    return def.trees.map((k) => st[k]!);
  };
  const heap: HeapOptimizer<S> = {
    hyper,
    trees: def.trees,
    stateTrees: (state) => stateTrees(state),
    update: (state, lr) => def.heapUpdate(hyper, state, lr),
    next: (state, trees) => def.next(hyper, state, trees),
    rest: (state) => Object.fromEntries(def.scalars.map((k) => [k, (state as Record<string, Tree>)[k]!])),
    assemble: (rest, trees) =>
      Object.fromEntries([...def.trees.map((k, i) => [k, trees[i]!] as const), ...def.scalars.map((k) => [k, (rest as Record<string, Tree>)[k]!] as const)]) as S,
    ...(def.sgdRate === undefined ? {} : { sgdRate: (lr: number) => def.sgdRate!(hyper, lr) }),
  };
  const step = <P extends Tree>(params: P, grads: P, state: S, options: StepOptions): Step<P, S> => {
    stepArgs(`${def.name}.step`, params, grads, state, options);
    stateTrees(state, `${def.name}.step`);
    return def.step(hyper, params, grads, state, options);
  };
  const mark: Mark = { step, heap: heap as unknown as HeapOptimizer<never> };
  return Object.freeze({ name: def.name, hyper, init: <P extends Tree>(params: P) => def.init(hyper, params), step, [defined]: mark });
};

// A fused update yields several new leaves per parameter; they are kept by
// path and then assembled into one tree each.
/** Runs `f` on the leaves of `trees` at each path (the first tree's paths): the results by path. */
export const byPath = <T>(trees: readonly Tree[], f: (leaves: readonly Tensor[]) => T): Map<string, T> => {
  const out = new Map<string, T>();
  zipTrees(trees, (ls, path) => {
    out.set(path, f(ls));
    return ls[0]!;
  });
  return out;
};

/** A tree shaped like `template` whose leaves `f` makes from the result at their path. */
export const pick = <T extends Tree, R>(template: T, results: Map<string, R>, f: (r: R, like: Tensor) => Tensor): T =>
  mapTree(template, (leaf, path) => f(results.get(path)!, leaf));
