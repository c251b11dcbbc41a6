// What a JavaScript caller can get wrong, checked once where a public
// function is entered: options bags, kernel sets, counts and sizes, shapes,
// allocations. TypeScript's types say all this at compile time; plain
// JavaScript (and `as never`) gets past them, and without these checks a
// wrong argument surfaces as the runtime's TypeError from deep inside, or as a
// NaN. Each check costs a few comparisons per call, never one per value.

import type { Shape } from './tensor.ts';

/**
 * A wrong argument to a public function: the message names the function
 * and the argument, and says what was given (`fit: batchSize must be a
 * positive integer, got 2.5`). A RangeError, as the library's errors were
 * before it; {@link ShapeError} is the kind for shapes that do not fit.
 */
export class ArgumentError extends RangeError {
  override readonly name: string = 'ArgumentError';
}

/** A short description of any value for a message: numbers and short arrays as written, the rest by kind. */
export const describeValue = (v: unknown): string => {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return v.length <= 8 && v.every((e) => typeof e !== 'object' || e === null) ? `[${v.map(describeValue).join(', ')}]` : `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return 'an object';
};

const isBag = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** Throws unless `v` is an options object: `fn: options must be an object ({ kernels, ... }), got 0.01`. */
export const optionsBag = <T>(fn: string, name: string, v: T, holds: string): T & Record<string, unknown> => {
  if (!isBag(v)) throw new ArgumentError(`${fn}: ${name} must be an object (${holds}), got ${describeValue(v)}`);
  return v as T & Record<string, unknown>;
};

/**
 * Throws unless `options` is an object whose `kernels` is a kernel set.
 * Nothing that runs a network picks a kernel set by itself: a missing one is
 * an error, never a silent fall back to the slow plain-TypeScript kernels.
 */
export const runOptions = (fn: string, options: unknown, holds = '{ kernels }'): void => {
  const bag = optionsBag(fn, 'options', options, holds);
  kernelSet(fn, 'options.kernels', bag['kernels']);
};

/** Throws unless `v` looks like a kernel set (a `name` and a `gemm`, as every set has). */
export const kernelSet = (fn: string, name: string, v: unknown): void => {
  if (v === undefined) {
    throw new ArgumentError(`${fn}: ${name} is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently`);
  }
  if (!isBag(v) || typeof v['gemm'] !== 'function' || typeof v['name'] !== 'string') {
    throw new ArgumentError(`${fn}: ${name} must be a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)), got ${describeValue(v)}`);
  }
};

/** `v` when it is an integer >= 1, else an ArgumentError naming `name`. */
export const positiveInt = (fn: string, name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`${fn}: ${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
};

/** `v` when it is an integer >= 0, else an ArgumentError naming `name`. */
export const nonNegativeInt = (fn: string, name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ArgumentError(`${fn}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
  return v;
};

/** `v` when it is a finite number, else an ArgumentError naming `name`. */
export const finiteNumber = (fn: string, name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${fn}: ${name} must be a finite number, got ${describeValue(v)}`);
  return v;
};

/** `v` when it is a number that float32 holds as a finite number (the kernels compute in float32, where 1e300 is Infinity), else an ArgumentError. */
export const float32Number = (fn: string, name: string, v: unknown): number => {
  if (!Number.isFinite(Math.fround(finiteNumber(fn, name, v)))) throw new ArgumentError(`${fn}: ${name} must be a finite float32 number (at most 3.4e38 in size), got ${describeValue(v)}`);
  return v as number;
};

/** Throws unless `v` is a function. */
export const aFunction = (fn: string, name: string, v: unknown): void => {
  if (typeof v !== 'function') throw new ArgumentError(`${fn}: ${name} must be a function, got ${describeValue(v)}`);
};

/**
 * `v` when it is a shape, an array of non-negative integers whose product is
 * a safe integer; else an ArgumentError: `tensor: shape must be an array of
 * non-negative integers, got [1.5, 2]`.
 */
export const shapeOf = (fn: string, name: string, v: unknown): Shape => {
  if (!Array.isArray(v)) throw new ArgumentError(`${fn}: ${name} must be an array of non-negative integers, got ${describeValue(v)}`);
  let size = 1;
  for (let i = 0; i < v.length; i++) {
    const d: unknown = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(`${fn}: ${name} must be an array of non-negative integers, got ${describeValue(v)}`);
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size)) throw new ArgumentError(`${fn}: ${name} ${describeValue(v)} holds ${size} values, more than any array can`);
  return v as Shape;
};

// An allocation refused: kept apart so that an allocation inside another names the outer tensor only.
class AllocationError extends ArgumentError {}

/**
 * `make()`, the allocation of `count` values for a tensor described by
 * `what`; the runtime's RangeError ("Invalid typed array length", "Array
 * buffer allocation failed") becomes an ArgumentError naming the tensor and
 * its size. Where the limit lies depends on the runtime and the machine, so
 * it is not guessed here.
 */
export const allocating = <A>(fn: string, what: string, count: number, bytesPer: number, make: () => A): A => {
  try {
    return make();
  } catch (err) {
    if (!(err instanceof RangeError) || (err instanceof ArgumentError && !(err instanceof AllocationError))) throw err;
    const root = err instanceof AllocationError && err.cause instanceof Error ? err.cause : err;
    const bytes = count * bytesPer;
    const size = bytes >= 2 ** 40 ? `${(bytes / 2 ** 40).toPrecision(3)} TiB` : bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toPrecision(3)} GiB` : `${(bytes / 2 ** 20).toPrecision(3)} MiB`;
    throw new AllocationError(`${fn}: ${what} (${count} values, ${size}) is too large to allocate: ${root.message}`, { cause: root });
  }
};

/** Throws unless `v` is per-side padding: `{ top, bottom, left, right }`, each a non-negative integer (padAll(p) makes one). */
export const paddingOf = (fn: string, name: string, v: unknown): void => {
  const bag = optionsBag(fn, name, v, '{ top, bottom, left, right }, as padAll(p) makes');
  for (const side of ['top', 'bottom', 'left', 'right']) nonNegativeInt(fn, `${name}.${side}`, bag[side]);
};

/** `v` when it is one of `choices`, else an ArgumentError listing them. */
export const oneOf = <C extends string>(fn: string, name: string, v: unknown, choices: readonly C[]): C => {
  if (!choices.includes(v as C)) throw new ArgumentError(`${fn}: ${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${describeValue(v)}`);
  return v as C;
};

/** Throws unless `v` is a tensor: `{ shape, data }` with an array shape and Float32Array or Float64Array data. */
export const tensorArg = (fn: string, name: string, v: unknown): void => {
  if (!isBag(v) || !Array.isArray(v['shape']) || !(v['data'] instanceof Float32Array || v['data'] instanceof Float64Array)) {
    throw new ArgumentError(`${fn}: ${name} must be a tensor ({ shape, data }, as tensor() makes), got ${describeValue(v)}`);
  }
};

/** Throws unless `v` is a layer: an object with `describe`, `init` and `apply` functions. */
/** Whether `v` has a layer's three functions, `describe`, `init` and `apply` (what the library can check of a layer it did not make). */
export const hasLayerShape = (v: unknown): boolean =>
  isBag(v) && typeof v['apply'] === 'function' && typeof v['init'] === 'function' && typeof v['describe'] === 'function';

export const layerArg = (fn: string, name: string, v: unknown): void => {
  if (!hasLayerShape(v)) {
    throw new ArgumentError(`${fn}: ${name} must be a layer ({ describe, init, apply }, as layers.* and serial make), got ${describeValue(v)}`);
  }
};

/**
 * Throws unless `batch` is `{ x, labels }` with x a tensor of at least one
 * example: the mean a loss takes over no examples is 0 / 0.
 */
export const batchArg = (fn: string, batch: unknown): void => {
  const bag = optionsBag(fn, 'batch', batch, '{ x, labels }');
  tensorArg(fn, 'batch.x', bag['x']);
  const shape = (bag['x'] as { readonly shape: readonly number[] }).shape;
  if (shape.length === 0 || shape[0] === 0) throw new ArgumentError(`${fn}: the batch holds no examples (x is [${shape.join(', ')}])`);
  if (bag['labels'] === undefined || bag['labels'] === null) throw new ArgumentError(`${fn}: batch.labels is missing`);
};

/**
 * Throws unless `v` is a labelled image set `{ count, rows, cols, pixels,
 * labels }` whose arrays hold what its numbers say, with at least one image:
 * a set of none has no loss or accuracy. `what` names the set in the
 * message (`the test set`).
 */
export const imagesArg = (fn: string, name: string, v: unknown, what: string): void => {
  const bag = optionsBag(fn, name, v, '{ count, rows, cols, pixels, labels }');
  const count = nonNegativeInt(fn, `${name}.count`, bag['count']);
  if (count === 0) throw new ArgumentError(`${fn}: ${what} holds no images (${name}.count is 0)`);
  const rows = positiveInt(fn, `${name}.rows`, bag['rows']);
  const cols = positiveInt(fn, `${name}.cols`, bag['cols']);
  const { pixels, labels } = bag;
  if (!(pixels instanceof Uint8Array) || pixels.length < count * rows * cols) {
    throw new ArgumentError(`${fn}: ${name}.pixels must be a Uint8Array of count · rows · cols = ${count * rows * cols} bytes, got ${describeValue(pixels)}${ArrayBuffer.isView(pixels) ? ` of ${pixels.byteLength} bytes` : ''}`);
  }
  if (!(labels instanceof Uint8Array) || labels.length < count) {
    throw new ArgumentError(`${fn}: ${name}.labels must be a Uint8Array of ${count} labels, got ${describeValue(labels)}${ArrayBuffer.isView(labels) ? ` of ${labels.byteLength}` : ''}`);
  }
};

/** Throws unless `v` is a random key, as key(seed) makes. */
export const keyArg = (fn: string, name: string, v: unknown): void => {
  if (!isBag(v) || typeof v['a'] !== 'number' || typeof v['b'] !== 'number') throw new ArgumentError(`${fn}: ${name} must be a random key, as key(seed) makes, got ${describeValue(v)}`);
};

/**
 * What every op checks first: its tensors, and its options when given (an
 * object whose `kernels`, if there, is a kernel set). `options` comes back
 * for destructuring.
 */
export const opArgs = <O>(op: string, options: O, tensors: Readonly<Record<string, unknown>>, holds = '{ kernels? }'): O => {
  for (const name in tensors) tensorArg(op, name, tensors[name]);
  if (options !== undefined) {
    const bag = optionsBag(op, 'options', options, holds);
    if (bag['kernels'] !== undefined) kernelSet(op, 'options.kernels', bag['kernels']);
  }
  return options;
};
