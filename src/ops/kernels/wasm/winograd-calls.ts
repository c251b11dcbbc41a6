// A Winograd convolution's kernel calls on the heap, F(4x4, 3x3), written
// once beside the direct ones (conv-calls.ts, which hands a stride-1 3x3
// convolution here when the kernel set asks for Winograd): the eager WASM
// kernel set and a compiled network both run these. Per chunk of images the
// input tiles are transformed (elementwise/winograd.wat), multiplied by the
// transformed filters in one GEMM per tile position (36 of them, each over
// the channels), and transformed back. 36 multiplications make a 4x4 output
// tile of one channel pair where direct convolution makes 144, for float32
// rounding a little larger than direct (docs/internals.md has the figures).
//
// The input gradient is the same convolution of dy with the flipped,
// transposed filters (padding 2 - pad); the filter gradient sums the
// products of the input's and dy's transformed tiles over the batch (GEMMs
// over tiles) and transforms the 36 sums back once.
//
// A row of every product is one tile, and a product has at least 4 rows
// (winogradApplies asks for 4 tiles an image), so a tile's numbers do not
// depend on the chunk it is in: threads may split images as they like.

import type { WindowGeometry } from '../types.ts';
import type { HeapKernels, Scratch } from './heap-kernels.ts';

/** Tile positions (6 x 6) and output tile side. */
const POSITIONS = 36;
const TILE = 4;
/** Bytes of transformed tiles and products per chunk. */
const CHUNK_BYTES = 1 << 20;

interface Tiling {
  readonly ty: number;
  readonly tx: number;
}
const tiling = (ho: number, wo: number): Tiling => ({ ty: Math.ceil(ho / TILE), tx: Math.ceil(wo / TILE) });
const count = (t: Tiling): number => t.ty * t.tx;

/** The input gradient's convolution: dy [ho, wo, o] with the flipped filters, padded 2 - pad, gives [h, w, c]. */
const inputGradientGeometry = (g: WindowGeometry, o: number): WindowGeometry => ({
  n: g.n, h: g.ho, w: g.wo, c: o, kh: 3, kw: 3, stride: 1, padTop: 2 - g.padTop, padLeft: 2 - g.padLeft, ho: g.h, wo: g.w,
});

/**
 * Whether a convolution runs as Winograd F(4x4, 3x3) in a kernel set that
 * asks for it: 3x3 filters at stride 1, input and output channels multiples
 * of 4, padding at most 2 before, and at least 4 tiles of 4x4 in the output
 * and in the input (an image of 5x5 or more).
 */
export const winogradApplies = (g: WindowGeometry, o: number): boolean =>
  g.stride === 1 && g.kh === 3 && g.kw === 3 && g.c >= 4 && g.c % 4 === 0 && o >= 4 && o % 4 === 0 &&
  g.padTop >= 0 && g.padTop <= 2 && g.padLeft >= 0 && g.padLeft <= 2 &&
  count(tiling(g.ho, g.wo)) >= 4 && count(tiling(g.h, g.w)) >= 4;

/**
 * Tiles a batch must have for Winograd to gain: below that, transforming
 * the filters and packing them for 36 products costs more than the
 * multiplications saved (at batch 1 the seed network trains at 0.75x).
 */
const MIN_TILES = 64;

/** Whether a batch of n images has enough tiles for Winograd to gain. */
export const winogradGains = (g: WindowGeometry, n: number): boolean => n * count(tiling(g.ho, g.wo)) >= MIN_TILES;

const tilesPerImage = (g: WindowGeometry): number => Math.max(count(tiling(g.ho, g.wo)), count(tiling(g.h, g.w)));

/** Images per chunk: as many as keep the transformed tiles and products within {@link CHUNK_BYTES} (at least one). */
const imagesPerChunk = (g: WindowGeometry, o: number): number => Math.max(1, Math.floor(CHUNK_BYTES / (POSITIONS * tilesPerImage(g) * (g.c + o) * 4)));

const align = (floats: number): number => Math.ceil(floats / 16) * 16;

/**
 * Bytes between the 36 planes of a batch of transformed tiles holding
 * `floats` each: an odd number of 64-byte lines, so that the planes a tile's
 * transform reads or writes fall in 36 different cache sets (a multiple of
 * 4 KiB would put them all in one).
 */
const planeBytes = (floats: number): number => {
  const lines = Math.ceil(floats / 16);
  return (lines % 2 === 0 ? lines + 1 : lines) * 64;
};

/** Where the scratch's parts lie (bytes): transformed filters, transformed tiles, products, and the tile block. */
interface Parts {
  readonly u: number;
  readonly v: number;
  readonly m: number;
  readonly tmp: number;
  readonly floats: number;
}

const partsOf = (g: WindowGeometry, o: number, n: number, at = 0): Parts => {
  const rows = Math.min(n, imagesPerChunk(g, o)) * tilesPerImage(g);
  const ch = Math.max(g.c, o);
  const block = (t: Tiling): number => Math.max((TILE * t.ty + 2) * (TILE * t.tx + 2), TILE * TILE * t.ty * t.tx) * ch;
  const sizes = [POSITIONS * g.c * o, (POSITIONS * planeBytes(rows * ch)) / 4, (POSITIONS * planeBytes(rows * ch)) / 4, Math.max(36, block(tiling(g.ho, g.wo)), block(tiling(g.h, g.w)))].map(align);
  const [u, v, m] = [at, at + sizes[0]! * 4, at + (sizes[0]! + sizes[1]!) * 4];
  return { u, v, m, tmp: m + sizes[2]! * 4, floats: sizes.reduce((a, b) => a + b, 0) };
};

/** Floats of scratch the Winograd calls of a batch of n need. */
export const winogradFloats = (g: WindowGeometry, o: number, n: number): number => partsOf(g, o, n).floats;

/** The (m, n, k) of every GEMM the Winograd calls of a batch of n run, for a helper's workspace. */
export const winogradGemmShapes = (g: WindowGeometry, o: number, n: number): Array<readonly [number, number, number]> => {
  const rows = Math.min(n, imagesPerChunk(g, o)) * tilesPerImage(g);
  return [[rows, o, g.c], [rows, g.c, o], [g.c, o, rows]];
};

// Images [from, to) of x [., h, w, c] convolved into y [., ho, wo, o]: filters w [3, 3, c, o] as given, or (flip)
// the flipped, transposed filters of w [3, 3, o, c], as the input gradient wants.
const convolve = (
  k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, w: number, y: number, from: number, to: number,
  flip: boolean, after?: (y: number, values: number) => void,
): void => {
  if (to <= from) return;
  const p = partsOf(g, o, to - from, s.cols);
  const t = tiling(g.ho, g.wo);
  const [imageBytes, outBytes] = [g.h * g.w * g.c * 4, g.ho * g.wo * o * 4];
  if (flip) k.el.wino_filter(w, p.u, o, g.c, 1, p.tmp);
  else k.el.wino_filter(w, p.u, g.c, o, 0, p.tmp);
  const nb = imagesPerChunk(g, o);
  for (let b = from; b < to; b += nb) {
    const m = Math.min(nb, to - b);
    const rows = m * count(t);
    const [vs, ms] = [planeBytes(rows * g.c), planeBytes(rows * o)];
    k.el.wino_tiles(x + b * imageBytes, p.v, vs, m, g.h, g.w, g.c, g.padTop, g.padLeft, t.ty, t.tx, p.tmp, 0);
    for (let i = 0; i < POSITIONS; i++) {
      k.gemmAt(false, false, rows, o, g.c, p.v + i * vs, p.u + i * g.c * o * 4, p.m + i * ms, s.end, false);
    }
    k.el.wino_output(p.m, ms, y + b * outBytes, m, g.ho, g.wo, o, t.ty, t.tx, p.tmp);
    after?.(y + b * outBytes, m * g.ho * g.wo * o);
  }
};

/** The forward pass of images [from, to); `after` runs on each chunk's output values (the fused bias and ReLU). */
export const winogradForward = (
  k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, w: number, y: number, from: number, to: number,
  after?: (y: number, values: number) => void,
): void => convolve(k, s, g, o, x, w, y, from, to, false, after);

/** The input gradient dx (overwritten) of n images: dy convolved with the flipped, transposed filters. */
export const winogradInputGradient = (k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, dy: number, w: number, dx: number, n: number): void =>
  convolve(k, s, inputGradientGeometry(g, o), g.c, dy, w, dx, 0, n, true);

/** The filter gradient dw (overwritten) of n images: the tiles' products summed chunk by chunk in order, transformed back once. */
export const winogradFilterGradient = (k: HeapKernels, s: Scratch, g: WindowGeometry, o: number, x: number, dy: number, dw: number, n: number): void => {
  const p = partsOf(g, o, n, s.cols);
  const t = tiling(g.ho, g.wo);
  const [imageBytes, outBytes] = [g.h * g.w * g.c * 4, g.ho * g.wo * o * 4];
  const nb = imagesPerChunk(g, o);
  for (let b = 0; b < n; b += nb) {
    const m = Math.min(nb, n - b);
    const rows = m * count(t);
    const [vs, ms] = [planeBytes(rows * g.c), planeBytes(rows * o)];
    k.el.wino_tiles(x + b * imageBytes, p.v, vs, m, g.h, g.w, g.c, g.padTop, g.padLeft, t.ty, t.tx, p.tmp, 0);
    k.el.wino_tiles(dy + b * outBytes, p.m, ms, m, g.ho, g.wo, o, 0, 0, t.ty, t.tx, p.tmp, 1);
    for (let i = 0; i < POSITIONS; i++) {
      k.gemmAt(true, false, g.c, o, rows, p.v + i * vs, p.m + i * ms, p.u + i * g.c * o * 4, s.end, b > 0);
    }
  }
  if (n === 0) k.zero(p.u, POSITIONS * g.c * o);
  k.el.wino_filter_back(p.u, dw, g.c, o);
};
