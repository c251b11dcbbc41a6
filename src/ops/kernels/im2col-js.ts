// im2col and col2im in plain TypeScript. Row (b, oy, ox) of the unrolled
// matrix holds the receptive field in (ky, kx, ci) order, the row order of
// HWIO filters. One walk serves both directions, so they stay adjoint.

import type { Data } from '../../core/tensor.ts';
import { like } from './like.ts';
import type { Elementwise, WindowGeometry } from './types.ts';

const unroll = (g: WindowGeometry, image: Data | Readonly<Data>, cols: Data | Readonly<Data>, gather: boolean): void => {
  const { n, h, w, c, kh, kw, stride, padTop, padLeft, ho, wo } = g;
  const rowLen = kh * kw * c;
  let r = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++, r += rowLen) {
        let q = r;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride + ky - padTop;
          for (let kx = 0; kx < kw; kx++, q += c) {
            const ix = ox * stride + kx - padLeft;
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

export const im2colJs: Elementwise['im2col'] = (g, image) => {
  const cols = like(image, g.n * g.ho * g.wo * g.kh * g.kw * g.c);
  unroll(g, image, cols, true);
  return cols;
};

export const col2imJs: Elementwise['col2im'] = (g, cols) => {
  const image = like(cols, g.n * g.h * g.w * g.c);
  unroll(g, image, cols, false);
  return image;
};
