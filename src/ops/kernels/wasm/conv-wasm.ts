// The eager WASM kernel set's convolutions: operands are copied into the
// heap, the convolution's kernel calls (conv-calls.ts, the ones a compiled
// network records) run there, and only the result is copied out. The
// unrolled matrix never crosses into JavaScript. Float64 data takes the JS
// path.

import { jsKernels } from '../index.ts';
import type { Convolution } from '../types.ts';
import { colsFloats, convFilterGradient, convForward, convInputGradient, isWinograd } from './conv-calls.ts';
import type { Heap } from './heap.ts';
import type { HeapKernels } from './heap-kernels.ts';

/** Float64 operands (gradient checks) go to the JS kernel set. */
const fallback: Convolution = jsKernels;

/** The convolutions on `heap`; `winograd` runs stride-1 3x3 ones as Winograd F(4x4, 3x3) (winograd-calls.ts). */
export const createWasmConv = (heap: Heap, k: HeapKernels, asks = false): Convolution => ({
  convForward: (g, x, w, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array)) return fallback.convForward(g, x, w, o);
    const winograd = isWinograd(g, o, g.n, asks);
    const out = g.n * g.ho * g.wo * o;
    if (out === 0 || g.kh * g.kw * g.c === 0) return new Float32Array(out);
    const [xo, wo, yo, cols, end] = heap.layout(x.length, w.length, out, colsFloats(g, g.n, o, winograd), 0) as [number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    convForward(k, { cols, end }, g, o, xo, wo, yo, 0, g.n, undefined, undefined, winograd);
    return heap.f32().slice(yo >> 2, (yo >> 2) + out);
  },
  convBackward: (g, x, w, dy, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array && dy instanceof Float32Array)) {
      return fallback.convBackward(g, x, w, dy, o);
    }
    if (g.n * g.ho * g.wo === 0 || o === 0 || g.kh * g.kw * g.c === 0) return { dx: new Float32Array(x.length), dw: new Float32Array(w.length) };
    const winograd = isWinograd(g, o, g.n, asks);
    const [xo, wo, dyo, dwo, dxo, cols, end] = heap.layout(x.length, w.length, dy.length, w.length, x.length, colsFloats(g, g.n, o, winograd), 0) as
      [number, number, number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    f32.set(dy, dyo >> 2);
    convFilterGradient(k, { cols, end }, g, o, xo, dyo, dwo, g.n, winograd);
    convInputGradient(k, { cols, end }, g, o, dyo, wo, dxo, g.n, winograd);
    const out = heap.f32();
    return { dx: out.slice(dxo >> 2, (dxo >> 2) + x.length), dw: out.slice(dwo >> 2, (dwo >> 2) + w.length) };
  },
});
