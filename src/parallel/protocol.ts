// The messages between a data-parallel source (source.ts) and its workers
// (serve.ts), and how the flat parameters are split among the workers. Plain
// data, so they cross postMessage in Node and in a browser alike.

import type { OptimizerHyper } from '../graph/optimizers/index.ts';
import type { Tree } from '../graph/tree.ts';
import type { Layout } from '../graph/packing.ts';
import type { InitScheme } from '../graph/init.ts';
import type { KernelName } from '../ops/kernels/by-name.ts';

/** Where a worker gets its network: the seed network, or `export` of the module at `url` (a Layer, or a function of no arguments that returns one). */
export type NetworkSource =
  | { readonly kind: 'seed'; readonly init: InitScheme }
  | { readonly kind: 'module'; readonly url: string; readonly export: string };

/** What a data-parallel worker is started with: its network, kernels, the parameter layout, its place, and the shared buffers. */
export interface WorkerInit {
  /** Where the worker gets its network (the Node workers read it; the page's build the seed network). */
  readonly network: NetworkSource;
  readonly kernels: KernelName;
  readonly layout: Layout;
  /** This worker's place among `threads`. */
  readonly index: number;
  readonly threads: number;
  /** threads x the layout's size: each worker's gradient of a step, for the others to sum. */
  readonly grads: SharedArrayBuffer;
  /** Int32 [arrivals, abort, failed step]: the barrier between gradients and update, the main thread's word that a worker died, and the generation of a step whose share failed. */
  readonly control: SharedArrayBuffer;
  /** The two state buffers of whole steps: parameters, then the optimizer's state arrays, each in the layout. */
  readonly states: readonly SharedArrayBuffer[];
}
/** The gradient of a share of a batch. */
export interface WorkerStep {
  readonly kind: 'grad';
  readonly params: SharedArrayBuffer;
  readonly x: Float32Array;
  readonly shape: number[];
  readonly labels: Int32Array;
}
/** The network's output for a share of a batch, at the parameters in `params`. */
export interface WorkerPredict {
  readonly kind: 'predict';
  readonly params: SharedArrayBuffer;
  readonly x: Float32Array;
  readonly shape: number[];
}
export interface WorkerPredictReply {
  readonly out: Float32Array;
  readonly shape: number[];
}
export interface WorkerReply {
  readonly loss: number;
  readonly correct: number;
  readonly grads: Float32Array;
}
/**
 * A whole step: state buffer `from` holds the parameters then the
 * optimizer's state trees (in its definition's order), each in the layout;
 * buffer `to` gets the new ones; `shares` are every worker's [start, end)
 * of the batch, this worker's examples are `x` and `labels`.
 */
export interface WorkerTrainStep {
  readonly kind: 'step';
  readonly from: 0 | 1;
  readonly to: 0 | 1;
  readonly x: Float32Array;
  readonly shape: number[];
  readonly labels: Int32Array;
  readonly shares: ReadonlyArray<readonly [number, number]>;
  /** The optimizer's description: the worker rebuilds the optimizer from it. */
  readonly hyper: OptimizerHyper;
  readonly lr: number;
  /** The optimizer state's entries other than its parameter-shaped trees (Adam's step count), before the step. */
  readonly rest: Tree;
  /** Steps so far, this one included: the barrier waits for threads x generation arrivals. */
  readonly generation: number;
}
export interface WorkerTrainReply {
  readonly loss: number;
  readonly correct: number;
  /** The step was called off (a worker died, or a share failed): no update was made. */
  readonly aborted: boolean;
  /** This worker's share failed, and why. */
  readonly error?: string;
}
/** The [start, end) of the flat parameters whose reduction and update worker `i` of `threads` does (in fours, for the SIMD update). */
export const sliceOf = (total: number, i: number, threads: number): readonly [number, number] => {
  const cut = (j: number): number => (j === threads ? total : Math.min(total, Math.floor((j * total) / threads / 4) * 4));
  return [cut(i), cut(i + 1)];
};

/**
 * Adds `weight` times a share's gradient into `sum`, product then sum in
 * float32: how the main thread sums `grad`'s shares, and what the workers'
 * WASM update does (acc - (-w) g), so both give the same numbers.
 */
export const addWeighted = (sum: Float32Array, grads: Readonly<Float32Array>, weight: number): void => {
  const w = Math.fround(weight);
  for (let j = 0; j < sum.length; j++) sum[j] += Math.fround(w * grads[j]!);
};
