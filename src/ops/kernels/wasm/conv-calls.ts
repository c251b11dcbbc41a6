// A convolution's kernel calls on the heap, written once: the eager WASM
// kernel set (conv-wasm.ts) runs them on operands it copied in, a compiled
// network (src/compile/lower/conv.ts) records them into its call list. A
// batch is unrolled (im2col) and multiplied a few images at a time, so that
// the unrolled block, nine times the input for 3x3 filters, stays in cache;
// a one-channel input (the first layer) is convolved directly instead. A
// kernel set that asks for Winograd runs a stride-1 3x3 convolution of a
// large enough batch as winograd-calls.ts does: its callers decide with
// isWinograd, on the whole batch, and pass the decision (`winograd`, the
// last argument of each) to every call of that batch, on every thread.
//
// Offsets are bytes; `g` is the geometry of one image (its `n` is ignored);
// the filters are [kh, kw, c, o].

import type { WindowGeometry } from '../types.ts';
import { geometryArgs } from './elementwise-wasm.ts';
import type { HeapKernels, Scratch } from './heap-kernels.ts';
import { winogradApplies, winogradFilterGradient, winogradGains, winogradFloats, winogradForward, winogradGemmShapes, winogradInputGradient } from './winograd-calls.ts';

/** Bytes of the unrolled block per chunk. */
const CHUNK_BYTES = 256 * 1024;

/** Images per chunk: as many as keep the unrolled block within {@link CHUNK_BYTES} (at least one). */
export const imagesPerChunk = (g: WindowGeometry): number => Math.max(1, Math.floor(CHUNK_BYTES / (g.ho * g.wo * g.kh * g.kw * g.c * 4)));

/** Whether the convolution runs directly, without unrolling: one input channel, filters a multiple of 4. */
export const isDirect = (g: WindowGeometry, o: number): boolean => g.c === 1 && o % 4 === 0;

/** Whether the convolution of a batch of n with `o` filters runs as Winograd in a kernel set that asks for it (`asks`). */
export const isWinograd = (g: WindowGeometry, o: number, n: number, asks: boolean): boolean => asks && winogradApplies(g, o) && winogradGains(g, n);

// The decision a caller passed, kept to the geometries Winograd computes.
const wino = (g: WindowGeometry, o: number, winograd: boolean): boolean => winograd && winogradApplies(g, o);

/** Floats of scratch (the unrolled block, or Winograd's transforms) a batch of n needs. */
export const colsFloats = (g: WindowGeometry, n: number, o = 0, winograd = false): number =>
  wino(g, o, winograd) ? winogradFloats(g, o, n) : Math.min(n, imagesPerChunk(g)) * g.ho * g.wo * g.kh * g.kw * g.c;

/** The (m, n, k) of every GEMM the convolution of a batch of n may run, for a helper's workspace. */
export const convGemmShapes = (g: WindowGeometry, o: number, n: number, winograd: boolean): Array<readonly [number, number, number]> => {
  if (wino(g, o, winograd)) return winogradGemmShapes(g, o, n);
  const rows = Math.min(n, imagesPerChunk(g)) * g.ho * g.wo;
  const k = g.kh * g.kw * g.c;
  return [[rows, o, k], [k, o, rows], [rows, k, o]];
};

/** What runs on a chunk's output values [from, to) at `y` right after its product: the fused bias and ReLU. */
export type Epilogue = (k: HeapKernels, y: number, from: number, to: number) => void;

const sizes = (g: WindowGeometry, o: number) => ({ perImage: g.ho * g.wo * o, k: g.kh * g.kw * g.c, imageBytes: g.h * g.w * g.c * 4 });
const batchOf = (g: WindowGeometry, n: number): number[] => geometryArgs({ ...g, n });

/**
 * Images [s, s + m) unrolled into the scratch, rows [r0, r1) of their
 * product (a row per output position), then the epilogue. A row does not
 * depend on the chunk it is in, so threads may chunk or split rows as they
 * like (each side keeping at least 4 rows: fewer take the GEMM's edge loop).
 */
export const convChunk = (k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, w: number, y: number, from: number, m: number, r0: number, r1: number, epilogue?: Epilogue): void => {
  const { perImage, k: kk, imageBytes } = sizes(g, o);
  const yChunk = y + from * perImage * 4;
  k.el.unroll(x + from * imageBytes, s.cols, 1, ...batchOf(g, m));
  k.gemmAt(false, false, r1 - r0, o, kk, s.cols + r0 * kk * 4, w, yChunk + r0 * o * 4, s.end, false);
  epilogue?.(k, yChunk, r0 * o, r1 * o);
};

/** The bias (and ReLU) a direct convolution fuses: b [o] tied, or [ho, wo, o] untied. */
export interface DirectBias {
  readonly b: number;
  readonly untied: boolean;
  readonly relu: boolean;
}

/** The forward pass of images [from, to): chunk by chunk, or directly (with its fused bias when given). */
export const convForward = (
  k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, w: number, y: number, from: number, to: number,
  epilogue?: Epilogue, bias?: DirectBias, winograd = false,
): void => {
  if (to <= from) return;
  if (wino(g, o, winograd)) {
    winogradForward(k, s, g, o, x, w, y, from, to, epilogue === undefined ? undefined : (at, values) => epilogue(k, at, 0, values));
    return;
  }
  const { perImage, imageBytes } = sizes(g, o);
  if (isDirect(g, o)) {
    const xi = x + from * imageBytes;
    const yi = y + from * perImage * 4;
    const geo = [to - from, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o] as const;
    if (bias !== undefined) k.el.conv_c1_bias(xi, w, bias.b, yi, ...geo, bias.untied ? 1 : 0, bias.relu ? 1 : 0);
    else {
      k.el.conv_c1(xi, w, yi, ...geo);
      epilogue?.(k, yi, 0, (to - from) * perImage);
    }
    return;
  }
  const nb = imagesPerChunk(g);
  for (let b = from; b < to; b += nb) {
    const m = Math.min(nb, to - b);
    convChunk(k, s, g, o, x, w, y, b, m, 0, m * g.ho * g.wo, epilogue);
  }
};

/** The filter gradient dw (overwritten) of n images: directly, or chunk by chunk summed in order. */
export const convFilterGradient = (k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, dy: number, dw: number, n: number, winograd = false): void => {
  if (wino(g, o, winograd)) {
    winogradFilterGradient(k, s, g, o, x, dy, dw, n);
    return;
  }
  if (isDirect(g, o)) {
    k.el.conv_c1_back_w(x, dy, dw, n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o);
    return;
  }
  const { perImage, k: kk, imageBytes } = sizes(g, o);
  const nb = Math.min(n, imagesPerChunk(g));
  for (let b = 0; b < n; b += nb) {
    const m = Math.min(nb, n - b);
    k.el.unroll(x + b * imageBytes, s.cols, 1, ...batchOf(g, m));
    k.gemmAt(true, false, kk, o, m * g.ho * g.wo, s.cols, dy + b * perImage * 4, dw, s.end, b > 0);
  }
};

/** The input gradient dx (overwritten) of n images: chunk by chunk, dy times the filters, folded back (col2im). */
export const convInputGradient = (k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, dy: number, w: number, dx: number, n: number, winograd = false): void => {
  if (wino(g, o, winograd)) {
    winogradInputGradient(k, s, g, o, dy, w, dx, n);
    return;
  }
  const { perImage, k: kk, imageBytes } = sizes(g, o);
  k.zero(dx, n * g.h * g.w * g.c);
  const nb = Math.min(n, imagesPerChunk(g));
  for (let b = 0; b < n; b += nb) {
    const m = Math.min(nb, n - b);
    k.gemmAt(false, true, m * g.ho * g.wo, kk, o, dy + b * perImage * 4, w, s.cols, s.end, false);
    k.el.unroll(dx + b * imageBytes, s.cols, 0, ...batchOf(g, m));
  }
};
