// The fused and direct kernels of elementwise/*.wat, called through the raw
// exports on a heap of their own: add_rows_relu and relu_back_sum bit for bit
// equal to the two kernels they fuse; conv_c1_back_w (the filter gradient of a
// one-channel convolution, without the unrolled matrix) equal to the JS
// kernels to float32 rounding; max_pool (window in registers) and
// max_pool_back bit for bit equal to the TypeScript loops; dense_sgd1 (gemm.wat:
// a dense layer's backward pass and SGD step at batch 1 in one pass) bit for
// bit equal to the two GEMMs and the sgd kernel it replaces.

import { describe, expect, it } from 'vitest';
import type { Data } from '../src/core/tensor.ts';
import { elementwiseJs } from '../src/ops/kernels/elementwise-js.ts';
import { jsKernels, type WindowGeometry } from '../src/ops/kernels/index.ts';
import { createWasmElementwise } from '../src/ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm, createWasmKernels } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../src/ops/kernels/wasm/heap.ts';
import { rng, same } from './helpers.ts';

const heap = createHeap();
const { kernels, raw } = createWasmElementwise(heap);
const gemm = createWasmGemm(heap, false);


/** Random float32 values in [-2, 2); `levels` > 0 quantizes them (ties); `special` sprinkles 0, -0 and NaN. */
const rand = (n: number, seed: number, { levels = 0, special = false } = {}): Float32Array => {
  const r = rng(seed);
  const specials = [0, -0, NaN];
  return Float32Array.from({ length: n }, () => {
    if (special && r() < 0.15) return specials[Math.floor(r() * 3)]!;
    return levels > 0 ? Math.floor(r() * levels) - levels / 2 : r() * 4 - 2;
  });
};


/** Copies arrays into fresh heap blocks (after `extra` scratch blocks of the given sizes); returns the byte offsets. */
const load = (arrays: readonly Float32Array[], extra: readonly number[] = []): number[] => {
  const offs = heap.layout(...arrays.map((a) => a.length), ...extra);
  arrays.forEach((a, i) => heap.f32().set(a, offs[i]! >> 2));
  return offs;
};
const read = (off: number, n: number): Float32Array => heap.f32().slice(off >> 2, (off >> 2) + n);
const poison = (off: number, n: number): void => void heap.f32().fill(NaN, off >> 2, (off >> 2) + n);

/** Row shapes: odd m (scalar tails), m % 4 == 0, m < 4, and long rows. */
const rowShapes = [[1, 1], [3, 3], [2, 4], [7, 5], [5, 16], [64, 16], [3, 17], [4, 32], [2, 1027]] as const;

describe('add_rows_relu', () => {
  it.each(rowShapes)('rows %i, row length %i: add_rows then relu, bit for bit, out of place and in place', (rows, m) => {
    const x = rand(rows * m, rows * 31 + m, { special: true }), b = rand(m, m + 7, { special: true });
    // Sums that are NaN, -0 (-0 + -0), +0 (v + -v) and negative, wherever the shape has room.
    if (m >= 4) {
      x.set([NaN, -0, 1.5, -3], x.length - 4);
      b.set([1, -0, -1.5, 1], m - 4);
    }
    // The two-kernel sequence, in the same module.
    const [xo, bo, to] = load([x, b], [x.length]);
    raw.add_rows(xo!, bo!, to!, rows, m);
    raw.relu(to!, to!, x.length);
    const want = read(to!, x.length);
    same(want, elementwiseJs.relu(elementwiseJs.addRows(x, b)));
    if (x.length >= 16) expect(want.some((v) => v > 0) && want.some((v) => v === 0)).toBe(true);

    const [xo2, bo2, yo] = load([x, b], [x.length]);
    poison(yo!, x.length);
    raw.add_rows_relu(xo2!, bo2!, yo!, rows, m);
    same(read(yo!, x.length), want);
    same(read(xo2!, x.length), x);

    const [xo3, bo3] = load([x, b]);
    raw.add_rows_relu(xo3!, bo3!, xo3!, rows, m);
    same(read(xo3!, x.length), want);
  });
});

describe('relu_back_sum', () => {
  it.each(rowShapes)('rows %i, row length %i: relu_back then sum_rows, bit for bit, out of place and in place', (rows, m) => {
    const n = rows * m;
    // NaN in dy only rarely (it poisons its column's sum); y has every special value.
    const y = rand(n, rows + 3 * m, { special: true });
    const dy = rand(n, rows * 7 + m);
    for (let i = 5; i < n; i += 97) dy[i] = [NaN, -0, 0][i % 3]!;

    const [yo, dyo, dxo, dbo] = load([y, dy], [n, m]);
    raw.relu_back(yo!, dyo!, dxo!, n);
    heap.f32().fill(0, dbo! >> 2, (dbo! >> 2) + m);
    raw.sum_rows(dxo!, dbo!, rows, m);
    const wantDx = read(dxo!, n), wantDb = read(dbo!, m);
    same(wantDx, elementwiseJs.reluBackward(y, dy));
    same(wantDb, elementwiseJs.sumRows(wantDx, m));

    const [yo2, dyo2, dxo2, dbo2] = load([y, dy], [n, m]);
    poison(dxo2!, n);
    heap.f32().fill(0, dbo2! >> 2, (dbo2! >> 2) + m);
    raw.relu_back_sum(yo2!, dyo2!, dxo2!, dbo2!, rows, m);
    same(read(dxo2!, n), wantDx);
    same(read(dbo2!, m), wantDb);
    same(read(dyo2!, n), dy);

    const [yo3, dyo3, dbo3] = load([y, dy], [m]);
    heap.f32().fill(0, dbo3! >> 2, (dbo3! >> 2) + m);
    raw.relu_back_sum(yo3!, dyo3!, dyo3!, dbo3!, rows, m);
    same(read(dyo3!, n), wantDx);
    same(read(dbo3!, m), wantDb);
  });

  it('adds the rows in order (a different order rounds differently here)', () => {
    const y = Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    // Columns of 1e8, 1, -1e8: in row order 1e8 + 1 rounds back to 1e8, so the sum is 0, not 1.
    const dy = Float32Array.from({ length: 15 }, (_, i) => [1e8, 1, -1e8][Math.floor(i / 5)]!);
    const [yo, dyo, dbo] = load([y, dy], [5]);
    heap.f32().fill(0, dbo! >> 2, (dbo! >> 2) + 5);
    raw.relu_back_sum(yo!, dyo!, dyo!, dbo!, 3, 5);
    expect(Array.from(read(dbo!, 5))).toEqual([0, 0, 0, 0, 0]);
  });
});

const geometry = (n: number, h: number, w: number, c: number, kh: number, kw: number, stride: number, pad: readonly [number, number, number, number]): WindowGeometry => {
  const [top, bottom, left, right] = pad;
  return {
    n, h, w, c, kh, kw, stride, padTop: top, padLeft: left,
    ho: Math.floor((h + top + bottom - kh) / stride) + 1,
    wo: Math.floor((w + left + right - kw) / stride) + 1,
  };
};
const args = (g: WindowGeometry): number[] => [g.n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo];

/** dw in float64 with, per entry, the sum of the terms' magnitudes (the scale of float32 rounding error). */
const dwExact = (g: WindowGeometry, x: Float32Array, dy: Float32Array, o: number): { dw: Float64Array; scale: Float64Array } => {
  const dw = new Float64Array(g.kh * g.kw * o), scale = new Float64Array(dw.length);
  for (let img = 0; img < g.n; img++) for (let i = 0; i < g.ho; i++) for (let j = 0; j < g.wo; j++) {
    for (let a = 0; a < g.kh; a++) for (let b = 0; b < g.kw; b++) {
      const yy = i * g.stride + a - g.padTop, xx = j * g.stride + b - g.padLeft;
      if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
      const v = x[(img * g.h + yy) * g.w + xx]!;
      for (let q = 0; q < o; q++) {
        const t = v * dy[((img * g.ho + i) * g.wo + j) * o + q]!;
        dw[(a * g.kw + b) * o + q]! += t;
        scale[(a * g.kw + b) * o + q]! += Math.abs(t);
      }
    }
  }
  return { dw, scale };
};

/** |got - want| within float32 rounding of a sum whose terms' magnitudes add up to scale. */
const closeTo = (got: Readonly<Data>, want: Readonly<Data>, scale: Float64Array, what: string): void => {
  expect(got.length).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / (scale[i]! + 1e-30);
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  expect(worst, `${what}: worst at ${at}, ${got[at]} vs ${want[at]}`).toBeLessThanOrEqual(1e-5);
};

// Padding as [top, bottom, left, right].
const convCases: readonly [string, WindowGeometry][] = [
  ['28x28, 3x3, stride 1, pad 1 (conv1)', geometry(3, 28, 28, 1, 3, 3, 1, [1, 1, 1, 1])],
  ['9x7, 3x3, stride 2, pad 0/1/1/0', geometry(2, 9, 7, 1, 3, 3, 2, [0, 1, 1, 0])],
  ['6x6, 2x3, stride 1, no pad', geometry(1, 6, 6, 1, 2, 3, 1, [0, 0, 0, 0])],
  ['5x5, 5x5, stride 3, pad 2', geometry(2, 5, 5, 1, 5, 5, 3, [2, 2, 2, 2])],
  ['13x11, 3x3, stride 2, pad 1', geometry(2, 13, 11, 1, 3, 3, 2, [1, 1, 1, 1])],
  ['2x3, 5x5, stride 3, pad 2/3/2/3 (taps with no input at all)', geometry(2, 2, 3, 1, 5, 5, 3, [2, 3, 2, 3])],
  ['7x9, 1x1, stride 2, no pad', geometry(2, 7, 9, 1, 1, 1, 2, [0, 0, 0, 0])],
  ['1x1, 3x3, stride 1, pad 1', geometry(3, 1, 1, 1, 3, 3, 1, [1, 1, 1, 1])],
];
const filterCounts = [4, 8, 16, 20, 32] as const;

describe('conv_c1_back_w: the filter gradient of a one-channel convolution', () => {
  it.each(convCases.flatMap(([name, g]) => filterCounts.map((o) => [name, o, g] as const)))('%s, %i filters', (_, o, g) => {
    const x = rand(g.n * g.h * g.w, g.h * 5 + g.w), dy = rand(g.n * g.ho * g.wo * o, o + g.kh);
    const [xo, dyo, dwo] = load([x, dy], [g.kh * g.kw * o]);
    poison(dwo!, g.kh * g.kw * o); // overwritten, not accumulated into
    raw.conv_c1_back_w(xo!, dyo!, dwo!, ...args(g), o);
    const got = read(dwo!, g.kh * g.kw * o);
    const js = jsKernels.convBackward(g, x, new Float32Array(g.kh * g.kw * o), dy, o).dw;
    const { dw: exact, scale } = dwExact(g, x, dy, o);
    closeTo(got, js, scale, 'against the JS kernels');
    closeTo(got, exact, scale, 'against float64');
    same(read(xo!, x.length), x);
    same(read(dyo!, dy.length), dy);
  });

  it('is what the WASM kernel set computes dw with, dx still by GEMM + col2im', () => {
    const wasm = createWasmKernels();
    for (const [, g] of convCases) {
      for (const o of [4, 16, 32]) {
        const x = rand(g.n * g.h * g.w, 3), w = rand(g.kh * g.kw * o, 4), dy = rand(g.n * g.ho * g.wo * o, 5);
        const got = wasm.convBackward(g, x, w, dy, o), want = jsKernels.convBackward(g, x, w, dy, o);
        closeTo(got.dw, want.dw, dwExact(g, x, dy, o).scale, 'dw');
        // dx[pixel] sums at most kh*kw*o products of magnitude < 4.
        closeTo(got.dx, want.dx, new Float64Array(x.length).fill(4 * g.kh * g.kw * o), 'dx');
      }
    }
  });
});

describe('conv_c1_bias: a one-channel convolution with its bias and ReLU in one pass', () => {
  it.each(convCases.flatMap(([name, g]) => filterCounts.flatMap((o) => [[name, o, 0, g], [name, o, 1, g]] as const)))('%s, %i filters, untied %i: conv_c1 then add_rows (and relu), bit for bit', (_, o, untied, g) => {
    // 0, -0 and NaN in the image, the filters and the bias.
    const x = rand(g.n * g.h * g.w, g.h * 3 + o, { special: true }), w = rand(g.kh * g.kw * o, o + 11, { special: true });
    const m = untied === 1 ? g.ho * g.wo * o : o;
    const b = rand(m, m + 1, { special: true });
    const count = g.n * g.ho * g.wo * o;
    for (const relu of [0, 1]) {
      const [xo, wo, bo, yo] = load([x, w, b], [count]);
      raw.conv_c1(xo!, wo!, yo!, ...args(g), o);
      if (relu === 1) raw.add_rows_relu(yo!, bo!, yo!, count / m, m);
      else raw.add_rows(yo!, bo!, yo!, count / m, m);
      const want = read(yo!, count);
      poison(yo!, count);
      raw.conv_c1_bias(xo!, wo!, bo!, yo!, ...args(g), o, untied, relu);
      same(read(yo!, count), want);
      same(read(xo!, x.length), x);
      same(read(bo!, b.length), b);
    }
  });

  it('sums the taps in order (a different order rounds differently here)', () => {
    // One output, a 1x3 filter over 1e8, 1, -1e8: in tap order 1e8 + 1 rounds back to 1e8, so the sum is 0.
    const g = geometry(1, 1, 3, 1, 1, 3, 1, [0, 0, 0, 0]);
    const [xo, wo, bo, yo] = load([Float32Array.of(1e8, 1, -1e8), Float32Array.from({ length: 12 }, () => 1), new Float32Array(4)], [4]);
    raw.conv_c1_bias(xo!, wo!, bo!, yo!, ...args(g), 4, 0, 0);
    expect(Array.from(read(yo!, 4))).toEqual([0, 0, 0, 0]);
  });
});

const poolCases: readonly [string, WindowGeometry][] = [
  ['3x3 stride 2, pad 0/1/0/1 (the network)', geometry(2, 28, 28, 16, 3, 3, 2, [0, 1, 0, 1])],
  ['3x3 stride 2, pad 0/1/0/1, 14x14', geometry(2, 14, 14, 32, 3, 3, 2, [0, 1, 0, 1])],
  ['3x3 stride 1, pad 1', geometry(2, 7, 6, 4, 3, 3, 1, [1, 1, 1, 1])],
  ['2x2 stride 1, pad 1/0/0/1', geometry(2, 5, 5, 4, 2, 2, 1, [1, 0, 0, 1])],
  ['2x3 stride 2, pad 1/1/2/0', geometry(1, 9, 8, 4, 2, 3, 2, [1, 1, 2, 0])],
  ['5x5 stride 3, pad 2/0/0/1', geometry(2, 9, 8, 4, 5, 5, 3, [2, 0, 0, 1])],
  ['1x1 stride 1', geometry(1, 3, 4, 4, 1, 1, 1, [0, 0, 0, 0])],
  ['window larger than the image', geometry(1, 2, 2, 4, 3, 3, 1, [1, 1, 1, 1])],
];
const channelCounts = [1, 3, 4, 5, 16, 32] as const;

describe('max_pool and max_pool_back', () => {
  const cases = poolCases.flatMap(([name, g0]) => channelCounts.map((c) => [name, c, { ...g0, c }] as const));
  it.each(cases)('%s, %i channels: bit for bit the TypeScript loops', (_, c, g) => {
    for (const padValue of [-Infinity, 0, -0, 0.5]) {
      for (const opts of [{}, { levels: 3 }, { levels: 3, special: true }]) {
        const x = rand(g.n * g.h * g.w * c, g.h * 3 + c + (opts.levels ?? 0), opts);
        const got = kernels.maxPool(g, x, padValue), want = elementwiseJs.maxPool(g, x, padValue);
        same(got.y, want.y);
        same(got.argmax, want.argmax);
        const dy = rand(want.y.length, 11);
        same(kernels.maxPoolBackward(want.argmax, dy, x.length), elementwiseJs.maxPoolBackward(want.argmax, dy, x.length));
      }
    }
  });

  it('keeps the first of tied maxima, NaN included, and pad cells in their window order', () => {
    // One 3x3 window over a 2x2 image padded right and bottom; 4 channels: all the same value;
    // a larger value in the last real cell; a NaN first (it stays); all below the pad value 0.
    const g = geometry(1, 2, 2, 4, 3, 3, 1, [0, 1, 0, 1]);
    const x = Float32Array.of(1, 1, NaN, -1, 1, 1, 5, -2, 1, 2, 7, -3, 1, 2, 6, -4);
    const got = kernels.maxPool({ ...g, ho: 1, wo: 1 }, x, 0);
    expect(Array.from(got.y)).toEqual([1, 2, NaN, 0]);
    expect(Array.from(got.argmax)).toEqual([0, 9, 2, -1]);
  });

  it('max_pool_back adds into each cell in order (a different order rounds differently here)', () => {
    // Fours where all have a target, fours with a -1 (none for it), and a tail; repeated targets in each.
    const am = Int32Array.of(0, 0, 2, 0, 1, -1, 1, 2, 1, 2, 2, 1, 1);
    const dy = Float32Array.of(1e8, 1, 3, -1e8, 1e8, 99, 1, -1e8, -1e8, 4, 1, 5, 2);
    const [ao, dyo, dxo] = heap.layout(am.length, dy.length, 3) as [number, number, number];
    heap.i32().set(am, ao >> 2);
    heap.f32().set(dy, dyo >> 2);
    heap.f32().fill(0, dxo >> 2, (dxo >> 2) + 3);
    raw.max_pool_back(ao, dyo, dxo, am.length);
    // In order (float32 steps of 8 near 1e8): cell 0 gets 1e8 + 1 - 1e8 = 0, cell 1 1e8 + 1 - 1e8 + 5 + 2 = 7,
    // cell 2 3 - 1e8 + 4 + 1 = -1e8; the two 1e8 first would give 1 and 8, the small ones first -99999992.
    const want = elementwiseJs.maxPoolBackward(am, dy, 3);
    expect(Array.from(want)).toEqual([0, 7, -1e8]);
    same(read(dxo, 3), want);
  });
});

describe('dense_sgd1: a dense layer\'s backward pass and SGD step at batch 1, one pass over w', () => {
  const lr = 0.0371;
  it.each([[4, 4], [8, 12], [12, 100], [64, 100], [392, 20]] as const)('w [%i, %i]: dx and the new w of gemm, gemm and sgd, bit for bit', (rows, cols) => {
    // NaN, 0 and -0 in x (whole rows of the gradient); 0 and -0 in w and dy, where the sign of a zero gradient shows.
    const w = rand(rows * cols, rows * 7 + cols), x = rand(rows, rows + 1, { special: true }), dy = rand(cols, cols + 2);
    w.set([-0, 0, -0, 0]);
    dy.set([-0, 0], cols - 2);
    // The three calls it replaces: dx = w dy, g = x dy^T, w -= lr g.
    const [wo, xo, dyo, dxo, go] = load([w, x, dy], [rows, rows * cols]);
    const end = heap.layout(0)[0]! + (go! - wo!) + rows * cols * 4 + 64;
    gemm.gemmAt(false, true, 1, rows, cols, dyo!, wo!, dxo!, end, false);
    gemm.gemmAt(true, false, rows, cols, 1, xo!, dyo!, go!, end, false);
    raw.sgd(wo!, go!, rows * cols, lr);
    const [wantW, wantDx] = [read(wo!, rows * cols), read(dxo!, rows)];

    const [wo2, xo2, dyo2, dxo2] = load([w, x, dy], [rows]);
    poison(dxo2!, rows);
    gemm.denseSgdAt(wo2!, xo2!, dyo2!, dxo2!, rows, cols, lr);
    same(read(wo2!, rows * cols), wantW);
    same(read(dxo2!, rows), wantDx);
    expect(wantDx.some((v) => v !== 0 && Number.isFinite(v))).toBe(true);

    // Without dx: the same weights, dx's memory untouched.
    const [wo3, xo3, dyo3, dxo3] = load([w, x, dy], [rows]);
    poison(dxo3!, rows);
    gemm.denseSgdAt(wo3!, xo3!, dyo3!, undefined, rows, cols, lr);
    same(read(wo3!, rows * cols), wantW);
    expect(read(dxo3!, rows).every(Number.isNaN)).toBe(true);
  });

  it('rounds the gradient before scaling it (lr (x dy), not (lr x) dy: they differ here)', () => {
    const w = new Float32Array(4).fill(0.001), x = Float32Array.of(0.1), dy = Float32Array.of(0.3, 0.7, 1.9, 3.3);
    const r = Math.fround;
    const l = r(lr); // the kernel takes lr as float32
    const ours = Array.from(dy, (d, i) => r(w[i]! - r(l * r(x[0]! * d))));
    const other = Array.from(dy, (d, i) => r(w[i]! - r(r(l * x[0]!) * d)));
    expect(ours).not.toEqual(other);
    // One row is not a multiple of 4; pad w and x to 4 rows to run it.
    const [wo, xo, dyo] = load([Float32Array.of(...w, ...w, ...w, ...w), Float32Array.of(0.1, 0, 0, 0), dy]);
    gemm.denseSgdAt(wo!, xo!, dyo!, undefined, 4, 4, lr);
    expect(Array.from(read(wo!, 4))).toEqual(ours);
  });
});
