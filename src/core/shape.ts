// Shape checks shared by the ops: every error names the op and both shapes.

import type { Shape } from './tensor.ts';

export const showShape = (s: Shape): string => `[${s.join(', ')}]`;

/**
 * A shape that does not fit. The message names the op and both shapes and,
 * when it came from inside a network, the path of the layer (`dense1`,
 * `block.conv2`) that ran the op: `layer dense1: dense: input and weights do
 * not match: [4, 72] and [128, 3]`.
 */
export class ShapeError extends RangeError {
  override readonly name = 'ShapeError';
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
