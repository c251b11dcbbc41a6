// Fused convolutions on the WASM heap: the input and filters are copied in,
// unrolled there (elementwise.wat), multiplied there (gemm.wat), and only the
// result is copied out. The unrolled matrix, nine times the input for 3x3
// filters, never crosses into JavaScript, and is made a few images at a time
// so that it stays in cache. Float64 data takes the JS path.

import { jsKernels } from '../index.ts';
import type { Convolution, WindowGeometry } from '../types.ts';
import { geometryArgs, type ElementwiseExports } from './elementwise-wasm.ts';
import type { WasmGemm } from './gemm-wasm.ts';
import type { Heap } from './heap.ts';

/** Float64 operands (gradient checks) go to the JS kernel set. */
const fallback: Convolution = jsKernels;

/**
 * Images per chunk: the batch is unrolled and multiplied a few images at a
 * time, so the unrolled block stays in cache between im2col and GEMM instead
 * of making a round trip through memory (tens of MB at batch 256).
 */
const CHUNK_BYTES = 256 * 1024;
export const imagesPerChunk = (g: WindowGeometry): number => Math.max(1, Math.floor(CHUNK_BYTES / (g.ho * g.wo * g.kh * g.kw * g.c * 4)));

export const createWasmConv = (
  heap: Heap,
  { gemmAt }: WasmGemm,
  { unroll, conv_c1: convC1, conv_c1_back_w: convC1BackW }: Pick<ElementwiseExports, 'unroll' | 'conv_c1' | 'conv_c1_back_w'>,
): Convolution => ({
  convForward: (g, x, w, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array)) return fallback.convForward(g, x, w, o);
    const perImage = g.ho * g.wo;
    const k = g.kh * g.kw * g.c;
    if (g.n * perImage === 0 || o === 0 || k === 0) return new Float32Array(g.n * perImage * o);
    // One input channel (the first layer): a GEMM of depth kh*kw is mostly overhead; convolve directly.
    if (g.c === 1 && o % 4 === 0) {
      const [xo, wo, yo] = heap.layout(x.length, k * o, g.n * perImage * o) as [number, number, number];
      const f32 = heap.f32();
      f32.set(x, xo >> 2);
      f32.set(w, wo >> 2);
      convC1(xo, wo, yo, g.n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o);
      return heap.f32().slice(yo >> 2, (yo >> 2) + g.n * perImage * o);
    }
    const nb = Math.min(g.n, imagesPerChunk(g));
    const [xo, wo, co, yo, end] = heap.layout(x.length, k * o, nb * perImage * k, g.n * perImage * o, 0) as [number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    const imageBytes = g.h * g.w * g.c * 4;
    for (let b = 0; b < g.n; b += nb) {
      const m = Math.min(nb, g.n - b);
      unroll(xo + b * imageBytes, co, 1, ...geometryArgs({ ...g, n: m }));
      gemmAt(false, false, m * perImage, o, k, co, wo, yo + b * perImage * o * 4, end, false);
    }
    return heap.f32().slice(yo >> 2, (yo >> 2) + g.n * perImage * o);
  },
  convBackward: (g, x, w, dy, o) => {
    if (!(x instanceof Float32Array && w instanceof Float32Array && dy instanceof Float32Array)) {
      return fallback.convBackward(g, x, w, dy, o);
    }
    const perImage = g.ho * g.wo;
    const k = g.kh * g.kw * g.c;
    if (g.n * perImage === 0 || o === 0 || k === 0) return { dx: new Float32Array(x.length), dw: new Float32Array(k * o) };
    const nb = Math.min(g.n, imagesPerChunk(g));
    const [xo, wo, dyo, co, dwo, dxo, end] = heap.layout(x.length, k * o, dy.length, nb * perImage * k, k * o, x.length, 0) as
      [number, number, number, number, number, number, number];
    const f32 = heap.f32();
    f32.set(x, xo >> 2);
    f32.set(w, wo >> 2);
    f32.set(dy, dyo >> 2);
    f32.fill(0, dxo >> 2, (dxo >> 2) + x.length);
    // One input channel: dw directly from the image and dy, so the input is never unrolled
    // (sums in another order than the GEMM's: equal to float32 rounding, not bit for bit).
    const direct = g.c === 1 && o % 4 === 0;
    if (direct) convC1BackW(xo, dyo, dwo, g.n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o);
    const imageBytes = g.h * g.w * g.c * 4;
    for (let b = 0; b < g.n; b += nb) {
      const m = Math.min(nb, g.n - b);
      const geo = geometryArgs({ ...g, n: m });
      const dyChunk = dyo + b * perImage * o * 4;
      if (!direct) {
        unroll(xo + b * imageBytes, co, 1, ...geo);
        gemmAt(true, false, k, o, m * perImage, co, dyChunk, dwo, end, b > 0);
      }
      // The chunk's unrolled input is spent (or was never made): its block takes the unrolled gradient.
      gemmAt(false, true, m * perImage, k, o, dyChunk, wo, co, end, false);
      unroll(dxo + b * imageBytes, co, 0, ...geo);
    }
    const out = heap.f32();
    return { dx: out.slice(dxo >> 2, (dxo >> 2) + x.length), dw: out.slice(dwo >> 2, (dwo >> 2) + k * o) };
  },
});
