// Fused convolutions on the WASM heap: the input and filters are copied in,
// unrolled there (elementwise.wat), multiplied there (gemm.wat), and only the
// result is copied out. The unrolled matrix, nine times the input for 3x3
// filters, never crosses into JavaScript. Float64 data takes the JS path.

import { convByIm2col } from '../conv-js.ts';
import { elementwiseJs } from '../elementwise-js.ts';
import { gemmJs } from '../gemm-js.ts';
import type { Convolution, Elementwise } from '../types.ts';
import { geometryArgs, type ElementwiseExports } from './elementwise-wasm.ts';
import type { WasmGemm } from './gemm-wasm.ts';
import type { Heap } from './heap.ts';

const fallback = convByIm2col(gemmJs, elementwiseJs);

export const createWasmConv = (
  heap: Heap,
  { gemmAt }: WasmGemm,
  el: { readonly kernels: Elementwise; readonly raw: ElementwiseExports },
): Convolution => ({
  convForward: (g, x, w, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array)) return fallback.convForward(g, x, w, o);
    const rows = g.n * g.ho * g.wo;
    const k = g.kh * g.kw * g.c;
    if (rows === 0 || o === 0 || k === 0) return new Float32Array(rows * o);
    const [xo, wo, co, yo, end] = heap.layout(x.length, k * o, rows * k, rows * o, 0) as [number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    el.raw.unroll(xo, co, 1, ...geometryArgs(g));
    gemmAt(false, false, rows, o, k, co, wo, yo, end);
    return heap.f32().slice(yo >> 2, (yo >> 2) + rows * o);
  },
  convBackward: (g, x, w, dy, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array && dy instanceof Float32Array)) {
      return fallback.convBackward(g, x, w, dy, o);
    }
    const rows = g.n * g.ho * g.wo;
    const k = g.kh * g.kw * g.c;
    if (rows === 0 || o === 0 || k === 0) return { dx: new Float32Array(x.length), dw: new Float32Array(k * o) };
    const [xo, wo, dyo, co, dwo, end] = heap.layout(x.length, k * o, rows * o, rows * k, k * o, 0) as [number, number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    f32.set(dy, dyo >> 2);
    el.raw.unroll(xo, co, 1, ...geometryArgs(g));
    gemmAt(true, false, k, o, rows, co, dyo, dwo, end);
    // The unrolled input is spent: its block takes the unrolled gradient,
    // and the input's block the folded-back dx.
    gemmAt(false, true, rows, k, o, dyo, wo, co, end);
    heap.f32().fill(0, xo >> 2, (xo >> 2) + x.length);
    el.raw.unroll(xo, co, 0, ...geometryArgs(g));
    const out = heap.f32();
    return { dx: out.slice(xo >> 2, (xo >> 2) + x.length), dw: out.slice(dwo >> 2, (dwo >> 2) + k * o) };
  },
});
