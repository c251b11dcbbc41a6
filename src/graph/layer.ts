// A layer is a pair of pure functions, as in JAX's stax: `init` turns a random
// key and an input shape into a parameter record, `apply` runs the layer and
// returns its output with a backward closure. `describe` gives the output
// shape, parameter count and MACs from the shape alone, so the network table
// falls out of the definition without running data.

import { hasLayerShape, keyArg, optionsBag, runOptions, shapeOf, tensorArg } from '../core/check.ts';
import type { Key } from '../core/random.ts';
import type { Shape, Tensor } from '../core/tensor.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import type { Padding } from '../ops/conv2d.ts';
import type { Op } from '../ops/op.ts';
import type { Tree } from './tree.ts';

/** The parameter record of a layer without parameters. */
export type NoParams = { readonly [name: string]: never };

/** One row of the network table (see {@link summarize}). */
export interface LayerRow {
  /** The layer's path in the network: `conv1`, or `block.conv1` inside a nested serial. */
  readonly name: string;
  /** What the layer is, for the table: `conv 3x3/1 pad 1`, `relu`, ... */
  readonly kind: string;
  /** The output shape without the batch axis. */
  readonly outShape: Shape;
  /** How many parameters the layer has. */
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

/** What a layer's backward returns: the gradient of its input and of its parameters. */
export interface LayerBackward<P extends Tree> {
  /** d / d input, shaped like the input. */
  readonly x: Tensor;
  /** d / d params, a record shaped like the parameters. */
  readonly params: P;
}

/**
 * What a layer made by the library's constructors computes, as data: what
 * {@link Compile.compile} reads to plan a whole network at once (and fuse a conv
 * with its bias and ReLU). A layer without it (a user's own) still runs in
 * a compiled network, on its own `apply`.
 */
export type LayerSpec =
  | { readonly op: 'conv'; readonly filters: number; readonly size: number; readonly stride: number; readonly pad: Padding }
  | { readonly op: 'untiedBias' }
  | { readonly op: 'bias' }
  | { readonly op: 'relu' }
  | { readonly op: 'flatten' }
  | { readonly op: 'maxPool'; readonly size: number; readonly stride: number; readonly pad: Padding; readonly padValue: number }
  | { readonly op: 'dense'; readonly units: number }
  | { readonly op: 'serial'; readonly layers: Readonly<Record<string, Layer<any>>> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Marks the `apply` a layer's `spec` describes. {@link Compile.compile} plans a layer
 * from its spec only when this is the layer's own `apply`: a copy made by
 * spreading a library layer and replacing its `apply` keeps the spec but not
 * the match, and runs on its own `apply`.
 */
export const SPEC_APPLY: unique symbol = Symbol('mnist-cnn-ts.specApply');

/**
 * A layer: a pair of pure functions, as in JAX's stax, and a description. A
 * layer maps a batch [n, ...inShape] to [n, ...outShape]; the shapes that
 * `describe` and `init` take leave the batch axis out. The constructors are
 * in {@link layers}; {@link serial} composes layers into one.
 *
 * @example
 * const fc = layers.dense({ units: 3 });
 * const params = fc.init(key(0), [4]);
 * const { out, backward } = fc.apply(params, fromArray([1, 4], [1, 2, 3, 4]), { kernels: jsKernels });
 * const { x: dx, params: grads } = backward(fromArray([1, 3], [1, 0, 0]));
 */
export interface Layer<P extends Tree> {
  /**
   * Shapes exclude the batch axis: a layer maps [n, ...inShape] to
   * [n, ...outShape]. Gives the output shape and the layer's table rows,
   * named after `name`, without running data. Throws a ShapeError when the
   * layer cannot take `inShape`.
   */
  readonly describe: (inShape: Shape, name: string) => { readonly outShape: Shape; readonly rows: readonly LayerRow[] };
  /** A fresh parameter record for inputs of `inShape`, drawn from `key`: the same key, the same record. */
  readonly init: (key: Key, inShape: Shape) => P;
  /**
   * Runs the layer on x [n, ...inShape] with the kernel set given: the
   * output and a backward closure. Never writes its inputs (a view such as
   * flatten's output shares their data); throws a ShapeError when x does not
   * fit.
   */
  readonly apply: (params: P, x: Tensor, options: RunOptions) => Op<Tensor, LayerBackward<P>>;
  /** What the layer computes, as data, for {@link Compile.compile}; absent from a user's own layer. */
  readonly spec?: LayerSpec;
  /** The `apply` that `spec` describes (see `SPEC_APPLY`, internal to the library). */
  readonly [SPEC_APPLY]?: unknown;
}

/**
 * The layer, frozen, with its `spec` marked as describing its `apply`: how
 * the library's constructors make layers. Its `describe` and `init` check
 * their shape (and key) first, so that a wrong one is an ArgumentError
 * naming the layer rather than a table of NaN or a failed allocation.
 */
export const described = <L extends Layer<any>>(layer: L): L => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const kind = layer.spec?.op ?? 'layer';
  return Object.freeze({
    ...layer,
    describe: (inShape: Shape, name: string) => layer.describe(shapeOf(`${kind}.describe`, 'inShape', inShape), name),
    init: (k: Key, inShape: Shape) => {
      keyArg(`${kind}.init`, 'key', k);
      return layer.init(k, shapeOf(`${kind}.init`, 'inShape', inShape));
    },
    [SPEC_APPLY]: layer.apply,
  });
};

/** The layer's spec, when it describes the layer's own `apply`; else undefined (compile then runs the layer's `apply`). */
export const specOf = (layer: Layer<any> | undefined): LayerSpec | undefined => // eslint-disable-line @typescript-eslint/no-explicit-any
  layer !== undefined && layer[SPEC_APPLY] === layer.apply ? layer.spec : undefined;

/** The parameter record type of a layer type: `ParamsOf<typeof net>`. */
export type ParamsOf<L> = L extends Layer<infer P> ? P : never;

/**
 * What every library layer's `apply` checks before it runs: a parameter
 * record, a tensor and the run options with their kernel set. A few
 * comparisons per call, none per value.
 */
export const checkApply = (layer: string, params: unknown, x: unknown, options: unknown): void => {
  optionsBag(`${layer}.apply`, 'params', params, "the layer's parameter record, as its init makes it");
  tensorArg(`${layer}.apply`, 'x', x);
  runOptions(`${layer}.apply`, options);
};

/** True for what a network needs to run: an object with a layer's describe, init and apply (a module's export, a caller's argument). */
export const isLayer = (v: unknown): v is Layer<Tree> => hasLayerShape(v);
