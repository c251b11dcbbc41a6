// `npx tsx bench/winograd-error.ts`: how far the Winograd convolution
// F(4x4, 3x3) ('wasm-winograd') and the direct one ('wasm') are from a
// float64 direct convolution (the reference kernels on float64 data), at the
// seed network's conv2 and conv3 shapes, batch 64: forward, input gradient
// and filter gradient. Inputs uniform in [0, 1) (as after a ReLU and a pool),
// filters and output gradients uniform in [-1, 1). The figures in
// docs/internals.md come from here.

import { key, uniform } from '../src/core/random.ts';
import { referenceKernels } from '../src/ops/kernels/index.ts';
import type { Convolution, WindowGeometry } from '../src/ops/kernels/types.ts';
import { createWasmKernels } from '../src/ops/kernels/wasm/gemm-wasm.ts';

const data = (n: number, seed: number, lo: number): Float32Array => Float32Array.from(uniform(key(seed), n), (v) => lo + (1 - lo) * v);

/** Max |e| / max |ref| and mean |e| / mean |ref|. */
const errorOf = (got: ArrayLike<number>, ref: ArrayLike<number>): { max: number; mean: number } => {
  let [e, m, se, sm] = [0, 0, 0, 0];
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    e = Math.max(e, d);
    m = Math.max(m, Math.abs(ref[i]!));
    se += d;
    sm += Math.abs(ref[i]!);
  }
  return { max: e / m, mean: se / sm };
};

const shapes: ReadonlyArray<[string, number, number, number]> = [['conv2', 14, 16, 32], ['conv3', 7, 32, 64]];
const sets: ReadonlyArray<[string, Convolution]> = [
  ['wasm (direct)', createWasmKernels({ fma: false })],
  ['wasm-winograd F(4x4,3x3)', createWasmKernels({ fma: false, winograd: true })],
];
const n = 64;
const fmt = (x: number): string => x.toExponential(1);

console.log('| layer | kernels | forward max / mean | input gradient max / mean | filter gradient max / mean |\n|---|---|---|---|---|');
for (const [name, hw, c, o] of shapes) {
  const g: WindowGeometry = { n, h: hw, w: hw, c, kh: 3, kw: 3, stride: 1, padTop: 1, padLeft: 1, ho: hw, wo: hw };
  const x = data(n * hw * hw * c, 1, 0);
  const w = data(9 * c * o, 2, -1);
  const dy = data(n * hw * hw * o, 3, -1);
  const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);
  const ref = referenceKernels.convForward(g, f64(x), f64(w), o);
  const refB = referenceKernels.convBackward(g, f64(x), f64(w), f64(dy), o);
  for (const [label, k] of sets) {
    const y = errorOf(k.convForward(g, x, w, o), ref);
    const b = k.convBackward(g, x, w, dy, o);
    const [dx, dw] = [errorOf(b.dx, refB.dx), errorOf(b.dw, refB.dw)];
    console.log(`| ${name} (${hw}x${hw}, ${c} -> ${o}, batch ${n}) | ${label} | ${fmt(y.max)} / ${fmt(y.mean)} | ${fmt(dx.max)} / ${fmt(dx.mean)} | ${fmt(dw.max)} / ${fmt(dw.mean)} |`);
  }
}
