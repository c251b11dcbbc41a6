// A layer is a pair of pure functions, as in JAX's stax: `init` turns a random
// key and an input shape into a parameter record, `apply` runs the layer and
// returns its output with a backward closure. `describe` gives the output
// shape, parameter count and MACs from the shape alone, so the network table
// falls out of the definition without running data.

import type { Key } from '../core/random.ts';
import type { Shape, Tensor } from '../core/tensor.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import type { Op } from '../ops/op.ts';
import type { Tree } from './tree.ts';

/** The parameter record of a layer without parameters. */
export type NoParams = { readonly [name: string]: never };

export interface LayerRow {
  readonly name: string;
  readonly kind: string;
  readonly outShape: Shape;
  readonly params: number;
  /** Forward multiply-accumulates per example. */
  readonly macs: number;
}

/**
 * What running a network needs besides its parameters and input: the kernel
 * set, required, so that a network never falls back to the slow kernels
 * because one call left it out. Layers pass it on to every op they run.
 */
export interface RunOptions {
  readonly kernels: Kernels;
}

export interface LayerBackward<P extends Tree> {
  readonly x: Tensor;
  readonly params: P;
}

export interface Layer<P extends Tree> {
  /** Shapes exclude the batch axis: a layer maps [n, ...inShape] to [n, ...outShape]. */
  readonly describe: (inShape: Shape, name: string) => { readonly outShape: Shape; readonly rows: readonly LayerRow[] };
  readonly init: (key: Key, inShape: Shape) => P;
  readonly apply: (params: P, x: Tensor, options: RunOptions) => Op<Tensor, LayerBackward<P>>;
}

export type ParamsOf<L> = L extends Layer<infer P> ? P : never;
