// The kernel interface the ops run on. A kernel set is a plain value passed to
// the ops (no global backend switch): the plain TypeScript set is the oracle,
// faster sets (blocked JS, WASM SIMD) swap in behind the same ops.

import type { Data } from '../../core/tensor.ts';

/**
 * Row-major matrix product: C = op(A) · op(B), or C += op(A) · op(B) when
 * `accumulate`. op(A) is [m, k]: A is stored [m, k], or [k, m] when `transA`.
 * op(B) is [k, n]: B is stored [k, n], or [n, k] when `transB`. C is [m, n].
 * A, B and C are dense (no leading-dimension strides); use subarray for views.
 * A kernel writes only into C.
 */
export type Gemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Readonly<Data>,
  b: Readonly<Data>,
  c: Data,
  accumulate: boolean,
) => void;

/**
 * Where the windows of a conv or pool lie over an NHWC batch: the input is
 * [n, h, w, c], the window kh x kw, moved by `stride`; `padTop` and
 * `padLeft` rows and columns of padding come before the input (the padding
 * after it is implied by the output size), and the output is [n, ho, wo, ...].
 */
export interface WindowGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number;
  readonly kh: number; readonly kw: number; readonly stride: number;
  readonly padTop: number; readonly padLeft: number;
  readonly ho: number; readonly wo: number;
}

/**
 * The elementwise kernels. Each returns fresh arrays (of the input's dtype)
 * and never writes to its inputs.
 */
export interface Elementwise {
  /** max(x, 0), with 0 for NaN and -0. */
  readonly relu: (x: Readonly<Data>) => Data;
  /** dy where y > 0, else 0. */
  readonly reluBackward: (y: Readonly<Data>, dy: Readonly<Data>) => Data;
  /** x [rows, m] + b [m] broadcast over rows. */
  readonly addRows: (x: Readonly<Data>, b: Readonly<Data>) => Data;
  /** The column sums of dy [rows, m], summed in row order. */
  readonly sumRows: (dy: Readonly<Data>, m: number) => Data;
  /** im2col: [n*ho*wo, kh*kw*c] receptive fields, zeros where padded. */
  readonly im2col: (g: WindowGeometry, image: Readonly<Data>) => Data;
  /** col2im, the adjoint of im2col: rows added back into a fresh image. */
  readonly col2im: (g: WindowGeometry, cols: Readonly<Data>) => Data;
  /** Max over kh x kw windows; argmax indexes x, -1 for a padded cell; ties to the first. */
  readonly maxPool: (g: WindowGeometry, x: Readonly<Data>, padValue: number) => { readonly y: Data; readonly argmax: Int32Array };
  /** Scatters dy to dx[argmax] (dx has xLength entries). */
  readonly maxPoolBackward: (argmax: Int32Array, dy: Readonly<Data>, xLength: number) => Data;
  /** p - lr g. */
  readonly sgd: (p: Readonly<Data>, g: Readonly<Data>, lr: number) => Data;
  /** v' = mu v + g; p' = p - lr v'. */
  readonly momentum: (p: Readonly<Data>, v: Readonly<Data>, g: Readonly<Data>, mu: number, lr: number) => { readonly p: Data; readonly v: Data };
  /** One Adam step with bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t. */
  readonly adam: (p: Readonly<Data>, m: Readonly<Data>, v: Readonly<Data>, g: Readonly<Data>, h: AdamHyper) => { readonly p: Data; readonly m: Data; readonly v: Data };
}

/**
 * The numbers of one Adam step: learning rate, decay rates, the bias
 * corrections c1 = 1 - beta1^t and c2 = 1 - beta2^t for step t, and eps.
 */
export interface AdamHyper {
  readonly lr: number; readonly beta1: number; readonly beta2: number;
  readonly c1: number; readonly c2: number; readonly eps: number;
}

/**
 * A convolution's products over the whole batch: NHWC image, HWIO filters
 * [kh, kw, c, o], output [n, ho, wo, o]. Fresh outputs, inputs untouched.
 */
export interface Convolution {
  /** The output [n, ho, wo, o] for image x and filters w. */
  readonly convForward: (g: WindowGeometry, x: Readonly<Data>, w: Readonly<Data>, o: number) => Data;
  /** The input and filter gradients for output gradient dy. */
  readonly convBackward: (g: WindowGeometry, x: Readonly<Data>, w: Readonly<Data>, dy: Readonly<Data>, o: number) => { readonly dx: Data; readonly dw: Data };
}

/**
 * A kernel set: the loops under the ops and the optimizers, passed in as a
 * plain value (there is no global backend). The library ships
 * {@link referenceKernels}, {@link jsKernels} and
 * {@link createWasmKernels}; {@link kernelsByName} picks one by name. Every
 * kernel returns fresh arrays of its input's dtype and never writes its
 * inputs; a {@link Gemm} writes only into C.
 */
export interface Kernels extends Elementwise, Convolution {
  /** What the set is called in tables and logs: 'reference', 'js' or 'wasm' for those shipped. */
  readonly name: string;
  /** The matrix product of the dense op. The conv kernels carry their own. */
  readonly gemm: Gemm;
}
