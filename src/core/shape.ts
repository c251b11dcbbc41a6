// Shape checks shared by the ops: every error names the op and both shapes.

import { ArgumentError } from './check.ts';
import type { Shape, Tensor } from './tensor.ts';

export const showShape = (s: Shape): string => `[${s.join(', ')}]`;

/**
 * A shape that does not fit. The message names the op and both shapes and,
 * when it came from inside a network, the path of the layer (`dense1`,
 * `block.conv2`) that ran the op: `layer dense1: dense: input and weights do
 * not match: [4, 72] and [128, 3]`.
 */
export class ShapeError extends ArgumentError {
  override readonly name: string = 'ShapeError';
  /** The op's own message, without the layer path. */
  readonly detail: string;
  /** The names of the enclosing layers, outermost first; empty when an op was called directly. */
  readonly layerPath: readonly string[];
  constructor(detail: string, layerPath: readonly string[] = []) {
    super(layerPath.length === 0 ? detail : `layer ${layerPath.join('.')}: ${detail}`);
    this.detail = detail;
    this.layerPath = layerPath;
  }
}

/** Runs `f`; a ShapeError it throws gets `layer` in front of its path. */
export const inLayer = <A>(layer: string, f: () => A): A => {
  try {
    return f();
  } catch (err) {
    if (err instanceof ShapeError) throw new ShapeError(err.detail, [layer, ...err.layerPath]);
    throw err;
  }
};

/** Throws unless `got` has `rank` dimensions. */
export const expectRank = (op: string, what: string, got: Shape, rank: number): void => {
  if (got.length !== rank) {
    throw new ShapeError(`${op}: ${what} must have rank ${rank}, got shape ${showShape(got)}`);
  }
};

/** Throws unless two shapes are equal; the message names the op and both shapes. */
export const expectSameShape = (op: string, what: string, got: Shape, want: Shape): void => {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: ${what} has shape ${showShape(got)}, expected ${showShape(want)}`);
  }
};

/** Throws unless dimension `gotDim` equals `wantDim`, naming both full shapes. */
export const expectDim = (
  op: string,
  what: string,
  a: Shape,
  gotDim: number,
  b: Shape,
  wantDim: number,
): void => {
  if (gotDim !== wantDim) {
    throw new ShapeError(`${op}: ${what} do not match: ${showShape(a)} and ${showShape(b)}`);
  }
};

/** How {@link expectParam}'s message for a missing tensor starts. */
export const NO_PARAM = 'the parameter record has no tensor';

/**
 * The parameter `name` of a layer, checked against the shape the network
 * needs there: `want` gives each dimension, or undefined for one the layer
 * leaves to its input (the op then checks it against the input, and the
 * message shows the parameter's own). The one check of a parameter record
 * that eager layers and compiled networks both run, so both refuse a record
 * of another network with the same words: `parameter w is [784, 128]; the
 * network needs [784, 64] here` (a ShapeError, to which the layer's path is
 * added).
 */
export const expectParam = (name: string, t: unknown, want: ReadonlyArray<number | undefined>): Tensor => {
  const isTensor = typeof t === 'object' && t !== null && Array.isArray((t as Tensor).shape) && ArrayBuffer.isView((t as Tensor).data);
  if (!isTensor) throw new ShapeError(`${NO_PARAM} "${name}"; make it with the network's init`);
  const got = (t as Tensor).shape;
  if (got.length !== want.length || want.some((d, i) => d !== undefined && d !== got[i])) {
    throw new ShapeError(`parameter ${name} is ${showShape(got)}; the network needs ${showShape(want.map((d, i) => d ?? got[i] ?? '?') as Shape)} here`);
  }
  return t as Tensor;
};
