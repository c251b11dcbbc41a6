// The Winograd convolution F(4x4, 3x3) of the 'wasm-winograd' kernel set:
// each of its kernels (forward, input gradient, filter gradient) against a
// float64 direct convolution within the documented error bound, and a wrong
// transform matrix failing that same check; conv2d's gradients in float32 by
// finite differences; the direct 'wasm' set untouched where Winograd does not
// apply or a batch is too small to gain; and the compiled network equal to the eager ops bit for bit, on one
// thread and with a kernel helper.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleText, sourceWat } from '../scripts/build-wasm.ts';
import { F4x4, type WinogradMatrices } from '../scripts/winograd-wat.ts';
import { compile } from '../src/compile/compile.ts';
import type { KernelHelper } from '../src/compile/helper.ts';
import { key, uniform } from '../src/core/random.ts';
import { tensor, type Tensor } from '../src/core/tensor.ts';
import { predict, seedNetwork, valueAndGrad, type Layer, type Tree } from '../src/graph/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { referenceKernels } from '../src/ops/kernels/index.ts';
import type { Convolution, WindowGeometry } from '../src/ops/kernels/types.ts';
import { createWasmConv } from '../src/ops/kernels/wasm/conv-wasm.ts';
import type { ElementwiseExports } from '../src/ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm, createWasmKernels, hasRelaxedSimd } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../src/ops/kernels/wasm/heap.ts';
import { heapKernels } from '../src/ops/kernels/wasm/heap-kernels.ts';
import { instantiate } from '../src/ops/kernels/wasm/instantiate.ts';
import { conv2d, padAll } from '../src/ops/index.ts';
import { startKernelHelper } from '../src/platform/kernel-helper.ts';
import { expectSameTree, rng, same } from './helpers.ts';

/**
 * The documented bound (docs/internals.md): every value of each kernel's
 * result within this much of the largest magnitude of the float64 direct
 * result. Measured at these shapes: up to about 5e-6 (direct: under 1e-6).
 */
const BOUND = 3e-5;

const geometry = (n: number, h: number, w: number, c: number, top: number, left: number, bottom = top, right = left): WindowGeometry =>
  ({ n, h, w, c, kh: 3, kw: 3, stride: 1, padTop: top, padLeft: left, ho: h + top + bottom - 2, wo: w + left + right - 2 });

const cases: ReadonlyArray<{ readonly name: string; readonly g: WindowGeometry; readonly o: number }> = [
  { name: 'conv2-like 14x14, 8 -> 16, pad 1', g: geometry(4, 14, 14, 8, 1, 1), o: 16 },
  { name: 'conv3-like 7x7, 16 -> 8, pad 1', g: geometry(16, 7, 7, 16, 1, 1), o: 8 },
  { name: 'no padding, 9x10, 4 -> 4', g: geometry(16, 9, 10, 4, 0, 0), o: 4 },
  { name: 'asymmetric padding (top 2, left 0, bottom 0, right 1), 8x6, 4 -> 12', g: geometry(16, 8, 6, 4, 2, 0, 0, 1), o: 12 },
  { name: 'one tile row: 3x20, 12 -> 4, pad 1', g: geometry(16, 3, 20, 12, 1, 1), o: 4 },
];

const randomData = (n: number, seed: number): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** max |got - want| / max |want|. */
const relError = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  let [e, m] = [0, 0];
  for (let i = 0; i < want.length; i++) {
    e = Math.max(e, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  return e / m;
};

/** Each kernel's error against the float64 direct convolution (referenceKernels on float64 data). */
const errors = (conv: Convolution, g: WindowGeometry, o: number, seed: number): { forward: number; dx: number; dw: number } => {
  const x = randomData(g.n * g.h * g.w * g.c, seed);
  const w = randomData(9 * g.c * o, seed + 1);
  const dy = randomData(g.n * g.ho * g.wo * o, seed + 2);
  const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);
  const want = referenceKernels.convBackward(g, f64(x), f64(w), f64(dy), o);
  const got = conv.convBackward(g, x, w, dy, o);
  return {
    forward: relError(conv.convForward(g, x, w, o), referenceKernels.convForward(g, f64(x), f64(w), o)),
    dx: relError(got.dx, want.dx),
    dw: relError(got.dw, want.dw),
  };
};

const flavours = [false, ...(hasRelaxedSimd() ? [true] : [])];

describe('the Winograd kernels against a float64 direct convolution', () => {
  for (const fma of flavours) {
    const kernels = createWasmKernels({ fma, winograd: true });
    const direct = createWasmKernels({ fma });
    it(`are named ${fma ? 'wasm-fma-winograd' : 'wasm-winograd'}`, () => {
      expect(kernels.name).toBe(fma ? 'wasm-fma-winograd' : 'wasm-winograd');
      expect(createWasmKernels({ fma }).name).toBe(fma ? 'wasm-fma' : 'wasm');
    });
    for (const { name, g, o } of cases) {
      it(`${fma ? 'FMA' : 'plain SIMD'}: ${name}: forward, input and filter gradients within ${BOUND}`, () => {
        const e = errors(kernels, g, o, 7);
        expect(e.forward).toBeLessThan(BOUND);
        expect(e.dx).toBeLessThan(BOUND);
        expect(e.dw).toBeLessThan(BOUND);
        // Winograd ran (its numbers are not the direct convolution's).
        const x = randomData(g.n * g.h * g.w * g.c, 7);
        const w = randomData(9 * g.c * o, 8);
        expect(Buffer.from(kernels.convForward(g, x, w, o).buffer).equals(Buffer.from(direct.convForward(g, x, w, o).buffer))).toBe(false);
      });
    }
  }

  it('leaves the direct convolution where Winograd does not apply or gains nothing (under 64 tiles): bit for bit the direct set', () => {
    const kernels = createWasmKernels({ fma: false, winograd: true });
    const direct = createWasmKernels({ fma: false });
    const others: ReadonlyArray<[WindowGeometry, number]> = [
      [geometry(2, 8, 8, 3, 1, 1), 8], // 3 input channels
      [geometry(2, 8, 8, 4, 1, 1), 6], // 6 filters
      [{ ...geometry(2, 9, 9, 4, 1, 1), stride: 2, ho: 5, wo: 5 }, 4], // stride 2
      [geometry(2, 4, 4, 4, 1, 1), 4], // one tile of 4x4
      [geometry(2, 12, 12, 1, 1, 1), 8], // the first layer: one channel
      [geometry(3, 14, 14, 8, 1, 1), 8], // 48 tiles: too few to gain
    ];
    for (const [g, o] of others) {
      const x = randomData(g.n * g.h * g.w * g.c, 1);
      const w = randomData(9 * g.c * o, 2);
      const dy = randomData(g.n * g.ho * g.wo * o, 3);
      same(kernels.convForward(g, x, w, o), direct.convForward(g, x, w, o));
      const [a, b] = [kernels.convBackward(g, x, w, dy, o), direct.convBackward(g, x, w, dy, o)];
      same(a.dx, b.dx);
      same(a.dw, b.dw);
    }
  });

  it('kernelsByName: wasm-winograd is the Winograd set, wasm the direct one', () => {
    expect(kernelsByName('wasm-winograd').name).toMatch(/^wasm(-fma)?-winograd$/);
    expect(kernelsByName('wasm').name).toMatch(/^wasm(-fma)?$/);
  });
});

describe('the check can fail: a wrong transform matrix', () => {
  // The elementwise module built from wrong matrices (one entry off), on a heap of its own.
  const wrongConv = async (m: WinogradMatrices): Promise<Convolution> => {
    const bytes = await assembleText('elementwise-wrong', sourceWat('elementwise', m));
    const heap = createHeap();
    const el = instantiate(bytes, heap.memory) as ElementwiseExports;
    const gemm = createWasmGemm(heap, false);
    return createWasmConv(heap, heapKernels(heap, gemm.gemmAt, gemm.denseSgdAt, el), true);
  };
  const edit = (rows: readonly (readonly number[])[], i: number, j: number, v: number): number[][] => rows.map((r, a) => r.map((x, b) => (a === i && b === j ? v : x)));
  const wrongs: ReadonlyArray<[string, WinogradMatrices]> = [
    ['B^T[0][2] = -4 (not -5)', { ...F4x4, bt: edit(F4x4.bt, 0, 2, -4) }],
    ['G[3][1] = 1/6 (not 1/12)', { ...F4x4, g: edit(F4x4.g, 3, 1, 1 / 6) }],
    ['A^T[3][3] = 9 (not 8)', { ...F4x4, at: edit(F4x4.at, 3, 3, 9) }],
  ];
  for (const [what, m] of wrongs) {
    it(`${what}: the forward pass and both gradients fail the bound`, async () => {
      const { g, o } = cases[0]!;
      const e = errors(await wrongConv(m), g, o, 7);
      expect(e.forward).toBeGreaterThan(BOUND);
      expect(e.dx).toBeGreaterThan(BOUND);
      expect(e.dw).toBeGreaterThan(BOUND);
    });
  }

  it('the right matrices, built the same way, pass', async () => {
    const { g, o } = cases[0]!;
    const e = errors(await wrongConv(F4x4), g, o, 7);
    expect(Math.max(e.forward, e.dx, e.dw)).toBeLessThan(BOUND);
  });
});

describe('conv2d gradients under wasm-winograd, in float32', () => {
  // The gradient checker runs in float64, which the WASM sets hand to the JS
  // kernels; so here: central differences of <u, conv2d(x, w)> in float32.
  // conv2d is linear in x and in w, so a large step costs no truncation error.
  it('match central differences on sampled entries of x and w', () => {
    const kernels = createWasmKernels({ fma: false, winograd: true });
    const [xShape, wShape] = [[2, 9, 9, 8], [3, 3, 8, 8]];
    const x = tensor(xShape, randomData(2 * 81 * 8, 11));
    const w = tensor(wShape, randomData(9 * 64, 12));
    const op = conv2d(x, w, { pad: padAll(1), kernels });
    const u = tensor(op.out.shape, randomData(op.out.data.length, 13));
    const grads = op.backward(u);
    const s = (xx: Tensor, ww: Tensor): number => {
      const y = conv2d(xx, ww, { pad: padAll(1), kernels }).out.data;
      let acc = 0;
      for (let i = 0; i < y.length; i++) acc += u.data[i]! * y[i]!;
      return acc;
    };
    const nudge = (t: Tensor, i: number, d: number): Tensor => {
      const data = Float32Array.from(t.data);
      data[i] = data[i]! + d;
      return tensor(t.shape, data);
    };
    const r = rng(14);
    let checked = 0;
    for (const [name, t, g] of [['x', x, grads.x], ['w', w, grads.w]] as const) {
      for (let k = 0; k < 40; k++) {
        const i = Math.floor(r() * t.data.length);
        const h = 0.5;
        const numeric = name === 'x' ? (s(nudge(x, i, h), w) - s(nudge(x, i, -h), w)) / (2 * h) : (s(x, nudge(w, i, h)) - s(x, nudge(w, i, -h))) / (2 * h);
        expect(Math.abs(g.data[i]! - numeric), `${name}[${i}]`).toBeLessThan(1e-3 * (1 + Math.abs(numeric)));
        checked++;
      }
    }
    expect(checked).toBe(80);
  });
});

const images = (n: number, seed: number): Tensor =>
  tensor([n, 28, 28, 1], Float32Array.from(uniform(key(seed), n * 784), (v) => v * 2 - 1));
const labelsOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);

describe('compile with wasm-winograd: the eager ops bit for bit', () => {
  // widths [4, 8, 8, 10]: conv2 (4 -> 8 on 14x14, 16 tiles an image) and conv3 (8 -> 8 on 7x7, 4 tiles) run as
  // Winograd from batch 4 and 16 on: batch 9 has one of each.
  const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 10] }) as unknown as Layer<Tree>;
  const params = net.init(key(3), [28, 28, 1]);
  let helper: KernelHelper;
  beforeAll(async () => {
    helper = await startKernelHelper({ fma: false });
  });
  afterAll(() => helper.close());

  for (const fma of flavours) {
    it(`${fma ? 'FMA' : 'plain SIMD'}: valueAndGrad and predict at batch 1, 9 and 20`, () => {
      const c = compile(net, { fma, winograd: true });
      const kernels = createWasmKernels({ fma, winograd: true });
      const eager = valueAndGrad(net, { kernels });
      expect(c.kernels.name).toBe(kernels.name);
      for (const n of [1, 9, 20]) {
        const batch = { x: images(n, n), labels: labelsOf(n) };
        const [got, want] = [c.valueAndGrad(params, batch), eager(params, batch)];
        expect(got.loss).toBe(want.loss);
        same(got.out.data, want.out.data);
        expectSameTree(got.grads, want.grads);
        same(c.predict(params, batch.x).data, predict(net, params, batch.x, { kernels }).data);
      }
    });
  }

  it('with a kernel helper: one thread\'s numbers at batch 1, 2, 9 and 64', () => {
    const one = compile(net, { fma: false, winograd: true });
    const two = compile(net, { helper, winograd: true });
    for (const n of [1, 2, 9, 64]) {
      const batch = { x: images(n, 40 + n), labels: labelsOf(n) };
      const [a, b] = [one.valueAndGrad(params, batch), two.valueAndGrad(params, batch)];
      expect(b.loss).toBe(a.loss);
      same(b.out.data, a.out.data);
      expectSameTree(b.grads, a.grads);
      same(two.predict(params, batch.x).data, one.predict(params, batch.x).data);
    }
  });
});
