// Max pooling's kernel calls on the heap, written once for the eager WASM
// kernel set (elementwise-wasm.ts) and a compiled network
// (src/compile/lower/pool.ts). An argmax indexes its own call's input, so a
// backward pass must split the images as its forward pass did.

import type { WindowGeometry } from '../types.ts';
import { geometryArgs } from './elementwise-wasm.ts';
import type { HeapKernels } from './heap-kernels.ts';

/** Images [from, to) of x pooled into y, each output's winner into `argmax`; `g` is one image's geometry. */
export const maxPoolImages = (k: Pick<HeapKernels, 'el'>, g: WindowGeometry, x: number, y: number, argmax: number, padValue: number, from: number, to: number): void => {
  if (to <= from) return;
  const [inSize, outSize] = [g.h * g.w * g.c, g.ho * g.wo * g.c];
  k.el.max_pool(x + from * inSize * 4, y + from * outSize * 4, argmax + from * outSize * 4, ...geometryArgs({ ...g, n: to - from }), padValue);
};

/** The input gradient of images [from, to) (overwritten): each output's gradient sent to its winner. */
export const maxPoolBackImages = (k: Pick<HeapKernels, 'el' | 'zero'>, inSize: number, outSize: number, argmax: number, dy: number, dx: number, from: number, to: number): void => {
  if (to <= from) return;
  k.zero(dx + from * inSize * 4, (to - from) * inSize);
  k.el.max_pool_back(argmax + from * outSize * 4, dy + from * outSize * 4, dx + from * inSize * 4, (to - from) * outSize);
};
