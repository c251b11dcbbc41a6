// 2-D convolution (cross-correlation, as every framework computes it), NHWC
// input and HWIO filters, any stride and per-side zero padding, no bias.
// All three products run as one GEMM each over the whole batch: the input is
// unrolled (im2col) so that filters become a [kh*kw*cin, cout] matrix; the
// kernel set does it (kernels/conv-js.ts, and fused in wasm/conv-wasm.ts).

import { opArgs, paddingOf, positiveInt } from '../core/check.ts';
import { ShapeError, expectRank, expectSameShape, showShape } from '../core/shape.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { jsKernels, type WindowGeometry } from './kernels/index.ts';
import type { Op, OpOptions } from './op.ts';

/** Padding per side, in pixels: rows added above and below the input, columns left and right of it. */
export interface Padding {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** `p` pixels on every side: padAll(1) keeps a stride-1 3x3 convolution's output the size of its input. */
export const padAll = (p: number): Padding => ({ top: p, bottom: p, left: p, right: p });

/** The options of {@link conv2d}: stride, padding and the kernel set. */
export interface Conv2dOptions extends OpOptions {
  /** The step between windows, in both directions; default 1. */
  readonly stride?: number;
  /** Zero padding per side; default none. */
  readonly pad?: Padding;
}

export interface ConvGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number;
  readonly kh: number; readonly kw: number; readonly o: number;
  readonly stride: number; readonly pad: Padding;
  readonly ho: number; readonly wo: number;
}

/**
 * Output height or width of a window op, conv and pooling alike:
 * floor((size + before + after - window) / stride) + 1. Below 1 when the
 * window does not fit.
 */
export const windowOutput = (size: number, window: number, stride: number, before: number, after: number): number =>
  Math.floor((size + before + after - window) / stride) + 1;

const geometry = (x: Tensor, w: Tensor, stride: number, pad: Padding): ConvGeometry => {
  expectRank('conv2d', 'input [n, h, w, cin]', x.shape, 4);
  expectRank('conv2d', 'filters [kh, kw, cin, cout]', w.shape, 4);
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [kh, kw, ci, o] = w.shape as [number, number, number, number];
  if (ci !== c) {
    throw new ShapeError(`conv2d: input channels do not match filters: input ${showShape(x.shape)}, filters ${showShape(w.shape)}`);
  }
  positiveInt('conv2d', 'stride', stride);
  const ho = windowOutput(h, kh, stride, pad.top, pad.bottom);
  const wo = windowOutput(wd, kw, stride, pad.left, pad.right);
  if (ho < 1 || wo < 1) {
    throw new ShapeError(`conv2d: filters ${showShape(w.shape)} do not fit input ${showShape(x.shape)} with this padding`);
  }
  return { n, h, w: wd, c, kh, kw, o, stride, pad, ho, wo };
};

const windows = (g: ConvGeometry): WindowGeometry => ({
  n: g.n, h: g.h, w: g.w, c: g.c, kh: g.kh, kw: g.kw, stride: g.stride, padTop: g.pad.top, padLeft: g.pad.left, ho: g.ho, wo: g.wo,
});

/**
 * 2-D convolution of a batch: input x [n, h, w, cin] (NHWC), filters
 * w [kh, kw, cin, cout] (HWIO), output [n, ho, wo, cout] with
 * ho = floor((h + pad.top + pad.bottom - kh) / stride) + 1 (and wo alike).
 * Cross-correlation, as every framework computes it (the filters are not
 * flipped), over zero padding, without bias. `backward(dy)` gives `{ x, w }`.
 * Returns fresh arrays of x's dtype and never writes its inputs.
 *
 * Throws a ShapeError when x or w is not rank 4, their channels differ or
 * the filters do not fit the padded input; a RangeError when `stride` is not
 * a positive integer.
 *
 * @example
 * const x = fromArray([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * const w = fromArray([2, 2, 1, 1], [1, 2, 3, 4]);
 * const { out, backward } = ops.conv2d(x, w, { kernels: jsKernels });   // out: [1, 2, 2, 1]
 * toArray(out);                                                         // [37, 47, 67, 77]
 * toArray(backward(fromArray([1, 2, 2, 1], [1, 0, 0, 0])).w);           // [1, 2, 4, 5]
 */
export const conv2d = (
  x: Tensor,
  w: Tensor,
  options: Conv2dOptions = {},
): Op<Tensor, { readonly x: Tensor; readonly w: Tensor }> => {
  const { stride = 1, pad = padAll(0), kernels = jsKernels } = opArgs('conv2d', options, { x, w }, '{ stride?, pad?, kernels? }');
  paddingOf('conv2d', 'options.pad', pad);
  const g = geometry(x, w, stride, pad);
  const wg = windows(g);
  const y = kernels.convForward(wg, x.data, w.data, g.o);
  const outShape = [g.n, g.ho, g.wo, g.o];
  return {
    out: tensor(outShape, y),
    backward: (dy) => {
      expectSameShape('conv2d backward', 'output gradient', dy.shape, outShape);
      const { dx, dw } = kernels.convBackward(wg, x.data, w.data, dy.data, g.o);
      return { x: tensor(x.shape, dx), w: tensor(w.shape, dw) };
    },
  };
};
