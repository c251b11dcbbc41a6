// The WASM elementwise kernels against the TypeScript ones: bit-for-bit where
// the arithmetic is the same (ReLU, biases, pooling, im2col/col2im), within
// float32 rounding for the optimizer updates; inputs never written; float64
// falling back to the TypeScript loops; and every op's forward and backward
// equal between jsKernels and the WASM set on float32 inputs.

import { describe, expect, it } from 'vitest';
import { tensor, type Data, type Tensor } from '../src/core/tensor.ts';
import { adam, momentum, optimizerByName, sgd } from '../src/graph/index.ts';
import { bias, conv2d, jsKernels, maxPool2d, referenceKernels, padAll, relu, untiedBias, type Kernels } from '../src/ops/index.ts';
import type { WindowGeometry } from '../src/ops/kernels/index.ts';
import { createWasmKernels } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { bits, rng, same } from './helpers.ts';

const wasm: Kernels = createWasmKernels();
const js: Kernels = jsKernels;


/** Random float32 values; `levels` > 0 quantizes them so that ties are common. */
const rand = (n: number, seed: number, levels = 0): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(r() * levels) - levels / 2 : r() * 4 - 2));
};


const close = (got: Readonly<Data>, want: Readonly<Data>, tol: number): void => {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
};

/** Runs f and checks that it left every input byte-for-byte as it was. */
const untouched = <T>(inputs: readonly (Readonly<Data> | Int32Array)[], f: () => T): T => {
  const before = inputs.map(bits);
  const out = f();
  inputs.forEach((x, i) => expect(bits(x)).toEqual(before[i]));
  return out;
};

const lengths = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1000, 4099];

describe('relu kernels', () => {
  it.each(lengths)('length %i, bit-exact, NaN/-0/0 included', (n) => {
    const x = rand(n, n);
    if (n > 3) x.set([0, -0, NaN], n - 3);
    const y = untouched([x], () => wasm.relu(x));
    same(y, js.relu(x));
    const dy = rand(n, n + 1);
    same(untouched([y, dy], () => wasm.reluBackward(y, dy)), js.reluBackward(y, dy));
  });
});

describe('bias kernels', () => {
  it.each([[1, 1], [1, 10], [3, 3], [64, 10], [5, 16], [2, 784 * 3 + 1], [7, 5]])('rows %i, row length %i', (rows, m) => {
    const x = rand(rows * m, rows + m), b = rand(m, m);
    same(untouched([x, b], () => wasm.addRows(x, b)), js.addRows(x, b));
    same(untouched([x], () => wasm.sumRows(x, m)), js.sumRows(x, m));
  });
});

const geometry = (n: number, h: number, w: number, c: number, kh: number, kw: number, stride: number, pad: { top: number; bottom: number; left: number; right: number }): WindowGeometry => ({
  n, h, w, c, kh, kw, stride, padTop: pad.top, padLeft: pad.left,
  ho: Math.floor((h + pad.top + pad.bottom - kh) / stride) + 1,
  wo: Math.floor((w + pad.left + pad.right - kw) / stride) + 1,
});

const windows: readonly WindowGeometry[] = [
  geometry(1, 1, 1, 1, 1, 1, 1, padAll(0)),
  geometry(2, 5, 5, 1, 3, 3, 1, padAll(1)),
  geometry(1, 7, 6, 3, 3, 2, 2, { top: 0, bottom: 1, left: 1, right: 0 }),
  geometry(3, 6, 6, 16, 3, 3, 1, padAll(2)),
  geometry(2, 9, 8, 5, 5, 5, 3, { top: 2, bottom: 0, left: 0, right: 1 }),
  geometry(1, 4, 4, 16, 2, 2, 2, padAll(0)),
  geometry(2, 28, 28, 1, 5, 5, 1, padAll(2)),
];

describe('im2col and col2im kernels', () => {
  it.each(windows.map((g) => [JSON.stringify(g), g] as const))('%s', (_, g) => {
    const image = rand(g.n * g.h * g.w * g.c, g.c + g.h);
    const cols = untouched([image], () => wasm.im2col(g, image));
    same(cols, js.im2col(g, image));
    const dcols = rand(cols.length, 9);
    same(untouched([dcols], () => wasm.col2im(g, dcols)), js.col2im(g, dcols));
  });
});

describe('fused convolution kernels (unrolled matrix kept in the WASM heap)', () => {
  it.each(windows.flatMap((g) => [1, 5, 16].map((o) => [JSON.stringify(g), o, g] as const)))('%s, %i filters', (_, o, g) => {
    const k = g.kh * g.kw * g.c;
    const x = rand(g.n * g.h * g.w * g.c, g.c + g.h), w = rand(k * o, o), dy = rand(g.n * g.ho * g.wo * o, 3);
    const y = untouched([x, w], () => wasm.convForward(g, x, w, o));
    close(y, referenceKernels.convForward(g, x, w, o), 1e-5);
    const got = untouched([x, w, dy], () => wasm.convBackward(g, x, w, dy, o));
    const want = referenceKernels.convBackward(g, x, w, dy, o);
    close(got.dx, want.dx, 1e-5);
    close(got.dw, want.dw, 1e-4);
  });

  // 451 KB of unrolled input per 28x28x16 image: one image per chunk, three chunks;
  // 113 KB per 14x14x16 image: chunks of 2, 2 and 1. dw accumulates over the chunks.
  it.each([[3, 28], [5, 14]])('runs in chunks of images when the unrolled batch is large (%i images, %i pixels square)', (n, hw) => {
    const g = geometry(n, hw, hw, 16, 3, 3, 1, padAll(1)), o = 8;
    const x = rand(n * hw * hw * 16, 5), w = rand(144 * o, 6), dy = rand(n * hw * hw * o, 7);
    close(wasm.convForward(g, x, w, o), referenceKernels.convForward(g, x, w, o), 1e-5);
    const got = wasm.convBackward(g, x, w, dy, o), want = referenceKernels.convBackward(g, x, w, dy, o);
    close(got.dx, want.dx, 1e-5);
    close(got.dw, want.dw, 1e-4);
  });
});

describe('max pool kernels', () => {
  const pools = windows.filter((g) => g.padTop < g.kh && g.padLeft < g.kw);
  for (const padValue of [-Infinity, 0, 0.5, 0.1]) {
    it.each(pools.map((g) => [JSON.stringify(g), g] as const))(`pad value ${padValue}: %s`, (_, g) => {
      for (const levels of [0, 3]) {
        const x = rand(g.n * g.h * g.w * g.c, g.w + levels, levels);
        const got = untouched([x], () => wasm.maxPool(g, x, padValue));
        const want = js.maxPool(g, x, padValue);
        same(got.y, want.y);
        same(got.argmax, want.argmax);
        const dy = rand(got.y.length, 5);
        same(untouched([got.argmax, dy], () => wasm.maxPoolBackward(got.argmax, dy, x.length)), js.maxPoolBackward(want.argmax, dy, x.length));
      }
    });
  }

  it('ties go to the first cell in row-major window order; padded maxima take no gradient', () => {
    const g = geometry(1, 2, 2, 5, 2, 2, 2, padAll(0));
    const { argmax } = wasm.maxPool(g, new Float32Array(20).fill(1), -Infinity);
    expect(Array.from(argmax)).toEqual([0, 1, 2, 3, 4]);
    const p = geometry(1, 1, 1, 4, 2, 2, 1, { top: 1, bottom: 0, left: 1, right: 0 });
    const r = wasm.maxPool(p, Float32Array.of(-1, 2, -3, 4), 0);
    expect(Array.from(r.argmax)).toEqual([-1, 1, -1, 3]);
    expect(Array.from(wasm.maxPoolBackward(r.argmax, Float32Array.of(1, 1, 1, 1), 4))).toEqual([0, 1, 0, 1]);
  });
});

describe('optimizer update kernels', () => {
  it.each(lengths)('length %i', (n) => {
    const p = rand(n, 1), g = rand(n, 2), v = rand(n, 3), m = rand(n, 4);
    const v2 = v.map(Math.abs);
    close(untouched([p, g], () => wasm.sgd(p, g, 0.01)), js.sgd(p, g, 0.01), 1e-6);
    const mo = untouched([p, v, g], () => wasm.momentum(p, v, g, 0.9, 0.01));
    const mj = js.momentum(p, v, g, 0.9, 0.01);
    close(mo.p, mj.p, 1e-6);
    close(mo.v, mj.v, 1e-6);
    for (const t of [1, 2, 100]) {
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, c1: 1 - 0.9 ** t, c2: 1 - 0.999 ** t, eps: 1e-8 };
      const a = untouched([p, m, v2, g], () => wasm.adam(p, m, v2, g, h));
      const b = js.adam(p, m, v2, g, h);
      close(a.p, b.p, 1e-6);
      close(a.m, b.m, 1e-6);
      close(a.v, b.v, 1e-6);
    }
  });

  it('optimizers on a parameter tree agree between kernel sets over several steps', () => {
    const params = { a: { w: tensor([3, 5], rand(15, 1)), b: tensor([5], rand(5, 2)) }, c: tensor([1027], rand(1027, 3)) };
    const grads = { a: { w: tensor([3, 5], rand(15, 4)), b: tensor([5], rand(5, 5)) }, c: tensor([1027], rand(1027, 6)) };
    for (const make of [() => sgd(), () => momentum({ mu: 0.9 }), () => adam({ beta1: 0.9, beta2: 0.999, eps: 1e-8 }), () => optimizerByName('adam')]) {
      const [ow, oj] = [make(), make()] as const;
      let sw = { params, state: ow.init(params) as never };
      let sj = { params, state: oj.init(params) as never };
      for (let i = 0; i < 3; i++) {
        sw = ow.step(sw.params, grads, sw.state, { lr: 0.01, kernels: wasm }) as typeof sw;
        sj = oj.step(sj.params, grads, sj.state, { lr: 0.01, kernels: js }) as typeof sj;
      }
      close(sw.params.a.w.data, sj.params.a.w.data, 1e-5);
      close(sw.params.a.b.data, sj.params.a.b.data, 1e-5);
      close(sw.params.c.data, sj.params.c.data, 1e-5);
      expect(sw.params.c.shape).toEqual([1027]);
    }
  });
});

describe('float64 falls back to the TypeScript loops', () => {
  it('every kernel returns float64, equal to the JS result', () => {
    const x = Float64Array.from(rand(48, 7)), b = Float64Array.from(rand(16, 8));
    same(wasm.relu(x), js.relu(x));
    same(wasm.reluBackward(x, x), js.reluBackward(x, x));
    same(wasm.addRows(x, b), js.addRows(x, b));
    same(wasm.sumRows(x, 16), js.sumRows(x, 16));
    const g = geometry(1, 3, 1, 16, 2, 1, 1, padAll(0));
    same(wasm.im2col(g, x), js.im2col(g, x));
    same(wasm.maxPool(g, x, -Infinity).y, js.maxPool(g, x, -Infinity).y);
    same(wasm.sgd(x, x, 0.1), js.sgd(x, x, 0.1));
    same(wasm.adam(x, x, x.map(Math.abs), x, { lr: 1e-3, beta1: 0.9, beta2: 0.999, c1: 0.1, c2: 0.001, eps: 1e-8 }).p,
      js.adam(x, x, x.map(Math.abs), x, { lr: 1e-3, beta1: 0.9, beta2: 0.999, c1: 0.1, c2: 0.001, eps: 1e-8 }).p);
  });
});

describe('ops: jsKernels and the WASM set agree on float32', () => {
  const t = (shape: number[], seed: number, levels = 0): Tensor => tensor(shape, rand(shape.reduce((a, b) => a * b, 1), seed, levels));
  const both = <G extends Record<string, Tensor>>(run: (k: Kernels) => { out: Tensor; backward: (dy: Tensor) => G }, dySeed: number, exact: boolean): void => {
    const a = run(js), b = run(wasm);
    const check = exact ? same : (x: Readonly<Data>, y: Readonly<Data>) => close(x, y, 1e-5);
    check(b.out.data, a.out.data);
    const dy = t([...a.out.shape], dySeed);
    const ga = a.backward(dy), gb = b.backward(dy);
    for (const k of Object.keys(ga)) check(gb[k]!.data, ga[k]!.data);
  };

  it.each([[1, 1, 1, 1], [2, 5, 5, 3], [3, 4, 4, 16]])('relu, bias, untiedBias, maxPool2d on [%i, %i, %i, %i]', (...shape) => {
    both((kernels) => relu(t(shape, 1), { kernels }), 2, true);
    both((kernels) => bias(t(shape, 3), t([shape[3]!], 4), { kernels }), 5, true);
    both((kernels) => untiedBias(t(shape, 6), t(shape.slice(1), 7), { kernels }), 8, true);
    for (const levels of [0, 2]) {
      both((kernels) => maxPool2d(t(shape, 9, levels), { size: 2, stride: 1, pad: { top: 1, bottom: 0, left: 0, right: 1 }, kernels }), 10, true);
      both((kernels) => maxPool2d(t(shape, 9, levels), { size: 1, kernels }), 10, true);
    }
  });

  it.each([
    { x: [1, 5, 5, 1], w: [3, 3, 1, 2], stride: 1, pad: padAll(1) },
    { x: [2, 7, 6, 3], w: [3, 3, 3, 4], stride: 2, pad: { top: 0, bottom: 1, left: 1, right: 0 } },
    { x: [2, 8, 8, 16], w: [3, 3, 16, 5], stride: 1, pad: padAll(1) },
    // One input channel, filters a multiple of 4: the direct kernel (16 filters: sums in registers).
    { x: [3, 28, 28, 1], w: [3, 3, 1, 16], stride: 1, pad: padAll(1) },
    { x: [2, 9, 7, 1], w: [3, 3, 1, 8], stride: 2, pad: { top: 0, bottom: 1, left: 1, right: 0 } },
    { x: [1, 6, 6, 1], w: [2, 3, 1, 4], stride: 1, pad: padAll(0) },
    { x: [2, 5, 5, 1], w: [5, 5, 1, 16], stride: 3, pad: padAll(2) },
  ])('conv2d x $x w $w', ({ x, w, stride, pad }) => {
    both((k) => conv2d(t(x, 1), t(w, 2), { stride, pad, kernels: k }), 3, false);
  });
});

describe('the direct one-channel convolution', () => {
  it('leaves its input and filters unchanged through forward and backward', () => {
    const x = tensor([2, 9, 9, 1], rand(162, 21)), w = tensor([3, 3, 1, 16], rand(144, 22));
    const [xb, wb] = [Array.from(x.data), Array.from(w.data)];
    const op = conv2d(x, w, { pad: padAll(1), kernels: wasm });
    op.backward(tensor(op.out.shape, rand(op.out.data.length, 23)));
    expect([Array.from(x.data), Array.from(w.data)]).toEqual([xb, wb]);
  });
});
