// 2-D convolution (cross-correlation, as every framework computes it), NHWC
// input and HWIO filters, any stride and per-side zero padding, no bias.
// All three products run as one GEMM over the whole batch: the input is
// unrolled (im2col) so that filters become a [kh*kw*cin, cout] matrix.

import { ShapeError, expectRank, expectSameShape, showShape } from '../core/shape.ts';
import { alloc, dtypeOf, tensor, type Data, type Tensor } from '../core/tensor.ts';
import { jsKernels, type Kernels } from './kernels/index.ts';
import type { Op } from './op.ts';

export interface Padding {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export const padAll = (p: number): Padding => ({ top: p, bottom: p, left: p, right: p });

export interface Conv2dOptions {
  readonly stride?: number;
  readonly pad?: Padding;
  readonly kernels?: Kernels;
}

export interface ConvGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number;
  readonly kh: number; readonly kw: number; readonly o: number;
  readonly stride: number; readonly pad: Padding;
  readonly ho: number; readonly wo: number;
}

/** Output height and width of a window op; used by conv and pooling alike. */
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
  if (!(Number.isInteger(stride) && stride >= 1)) throw new RangeError(`conv2d: stride must be a positive integer, got ${stride}`);
  const ho = windowOutput(h, kh, stride, pad.top, pad.bottom);
  const wo = windowOutput(wd, kw, stride, pad.left, pad.right);
  if (ho < 1 || wo < 1) {
    throw new ShapeError(`conv2d: filters ${showShape(w.shape)} do not fit input ${showShape(x.shape)} with this padding`);
  }
  return { n, h, w: wd, c, kh, kw, o, stride, pad, ho, wo };
};

// Row (b, oy, ox) of the unrolled matrix holds the receptive field in
// (ky, kx, ci) order, which is the row order of the HWIO filters. The same
// walk runs both ways: `gather` copies the image into the rows (im2col);
// otherwise the rows are added back where they came from (col2im, its adjoint).
const unroll = (g: ConvGeometry, image: Data | Readonly<Data>, cols: Data | Readonly<Data>, gather: boolean): void => {
  const { n, h, w, c, kh, kw, stride, pad, ho, wo } = g;
  const rowLen = kh * kw * c;
  let r = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++, r += rowLen) {
        let q = r;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride + ky - pad.top;
          for (let kx = 0; kx < kw; kx++, q += c) {
            const ix = ox * stride + kx - pad.left;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // padding: cols stay zero
            const p = ((b * h + iy) * w + ix) * c;
            if (gather) for (let ci = 0; ci < c; ci++) (cols as Data)[q + ci] = image[p + ci]!;
            else for (let ci = 0; ci < c; ci++) (image as Data)[p + ci] += cols[q + ci]!;
          }
        }
      }
    }
  }
};

export const conv2d = (
  x: Tensor,
  w: Tensor,
  { stride = 1, pad = padAll(0), kernels = jsKernels }: Conv2dOptions = {},
): Op<Tensor, { readonly x: Tensor; readonly w: Tensor }> => {
  const g = geometry(x, w, stride, pad);
  const dtype = dtypeOf(x);
  const rows = g.n * g.ho * g.wo;
  const k = g.kh * g.kw * g.c;
  const cols = alloc(dtype, rows * k);
  unroll(g, x.data, cols, true);
  const y = alloc(dtype, rows * g.o);
  kernels.gemm(false, false, rows, g.o, k, cols, w.data, y, false);
  const outShape = [g.n, g.ho, g.wo, g.o];
  return {
    out: tensor(outShape, y),
    backward: (dy) => {
      expectSameShape('conv2d backward', 'output gradient', dy.shape, outShape);
      const dw = alloc(dtype, k * g.o);
      kernels.gemm(true, false, k, g.o, rows, cols, dy.data, dw, false);
      const dcols = alloc(dtype, rows * k);
      kernels.gemm(false, true, rows, k, g.o, dy.data, w.data, dcols, false);
      const dx = alloc(dtype, x.data.length);
      unroll(g, dx, dcols, false);
      return { x: tensor(x.shape, dx), w: tensor(w.shape, dw) };
    },
  };
};
