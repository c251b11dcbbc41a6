// Max pooling loops in plain TypeScript. Channels innermost: each window cell
// updates all c running maxima at once. Strict > keeps the first maximum.

import { like } from './like.ts';
import type { Elementwise } from './types.ts';

export const maxPoolJs: Elementwise['maxPool'] = (g, xd, padValue) => {
  const { n, h, w, c, kh, kw, stride, padTop, padLeft, ho, wo } = g;
  const y = like(xd, n * ho * wo * c);
  const argmax = new Int32Array(y.length); // index into x, or -1 for a padded cell
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const o = ((b * ho + oy) * wo + ox) * c;
        let first = true;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride + ky - padTop;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride + kx - padLeft;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              const i0 = ((b * h + iy) * w + ix) * c;
              for (let ci = 0; ci < c; ci++) {
                const v = xd[i0 + ci]!;
                if (first || v > y[o + ci]!) {
                  y[o + ci] = v;
                  argmax[o + ci] = i0 + ci;
                }
              }
            } else {
              for (let ci = 0; ci < c; ci++) {
                if (first || padValue > y[o + ci]!) {
                  y[o + ci] = padValue;
                  argmax[o + ci] = -1;
                }
              }
            }
            first = false;
          }
        }
      }
    }
  }
  return { y, argmax };
};

export const maxPoolBackwardJs: Elementwise['maxPoolBackward'] = (argmax, dy, xLength) => {
  const dx = like(dy, xLength);
  for (let i = 0; i < argmax.length; i++) {
    const a = argmax[i]!;
    if (a >= 0) dx[a] += dy[i]!;
  }
  return dx;
};
