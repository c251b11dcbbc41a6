// Shape checks shared by the ops: every error names the op and both shapes.

import type { Shape } from './tensor.ts';

export const showShape = (s: Shape): string => `[${s.join(', ')}]`;

export class ShapeError extends RangeError {
  override readonly name = 'ShapeError';
}

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
