// Run by test/fma.test.ts in a runtime with relaxed SIMD (Node 24, or Node
// 20 with --experimental-wasm-relaxed-simd): the fused multiply-add GEMM and
// the convolutions and training step built on it against the TypeScript
// kernels, the compiled network on it (gradients, predict, SGD steps at
// batch 1) against the eager FMA ops (bit for bit), and its build for a shared
// heap (a kernel helper's) against it (bit for bit). Prints one JSON line.

import { key, uniform } from '../../src/core/random.ts';
import { tensor } from '../../src/core/tensor.ts';
import { MNIST_SHAPE, leaves, seedNetwork, sgd, valueAndGrad } from '../../src/graph/index.ts';
import { conv2d, padAll } from '../../src/ops/index.ts';
import { jsKernels } from '../../src/ops/kernels/index.ts';
import { createWasmGemm, createWasmKernels, hasRelaxedSimd } from '../../src/ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../../src/ops/kernels/wasm/heap.ts';
import { newSharedMemory } from '../../src/ops/kernels/wasm/instantiate.ts';
import { compile } from '../../src/compile/compile.ts';

const fma = createWasmKernels();
const rand = (n: number, seed: number): Float32Array => Float32Array.from(uniform(key(seed), n), (u) => 2 * u - 1);
/** Largest |a - b| / (1 + |b|). */
const err = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return e;
};

const gemmErrors: number[] = [];
let seed = 1;
for (const [m, n, k] of [[1, 1, 1], [4, 8, 16], [5, 9, 17], [64, 100, 3136], [37, 32, 144], [128, 16, 9], [3, 300, 70]] as const) {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const acc of [false, true]) {
      const a = rand(m * k, seed++), b = rand(k * n, seed++), c0 = rand(m * n, seed++);
      const want = Float32Array.from(c0), got = Float32Array.from(c0);
      jsKernels.gemm(ta, tb, m, n, k, a, b, want, acc);
      fma.gemm(ta, tb, m, n, k, a, b, got, acc);
      gemmErrors.push(err(got, want));
    }
  }
}

// The FMA GEMM built for a shared memory (gemm-fma-shared, what a kernel helper runs): the same numbers (0).
const sharedGemm = createWasmGemm(createHeap(newSharedMemory(1)), true).gemm;
const sharedErrors = ([[64, 100, 3136], [37, 32, 144]] as const).map(([m, n, k]) => {
  const a = rand(m * k, seed++), b = rand(k * n, seed++);
  const [want, got] = [new Float32Array(m * n), new Float32Array(m * n)];
  fma.gemm(false, false, m, n, k, a, b, want, false);
  sharedGemm(false, false, m, n, k, a, b, got, false);
  return err(got, want);
});

const x = tensor([8, 14, 14, 16], rand(8 * 14 * 14 * 16, 100));
const w = tensor([3, 3, 16, 32], rand(9 * 16 * 32, 101));
const [cf, cj] = [conv2d(x, w, { pad: padAll(1), kernels: fma }), conv2d(x, w, { pad: padAll(1), kernels: jsKernels })];
const dy = tensor(cj.out.shape, rand(cj.out.data.length, 102));
const [bf, bj] = [cf.backward(dy), cj.backward(dy)];

const net = seedNetwork({ init: 'he' });
const params = net.init(key(3), MNIST_SHAPE);
const batch = { x: tensor([16, 28, 28, 1], Float32Array.from(uniform(key(4), 16 * 784))), labels: Array.from({ length: 16 }, (_, i) => i % 10) };
const [sf, sj] = [valueAndGrad(net, { kernels: fma })(params, batch), valueAndGrad(net, { kernels: jsKernels })(params, batch)];
const gradErr = Math.max(...leaves(sf.grads).map(([p, g], i) => err(g.data, leaves(sj.grads)[i]![1].data) + (p === '' ? 1 : 0)));

// The compiled network on the FMA module: the eager FMA results exactly (0 when bit for bit).
const compiled = compile(net);
const sc = compiled.valueAndGrad(params, batch);
// Three SGD steps at batch 1 (dense1's update fused into its backward pass) against the eager FMA gradient and step.
const opt = sgd();
const one = { x: tensor([1, 28, 28, 1], batch.x.data.slice(0, 784)), labels: [7] };
type Params = typeof params;
let [pc, pe]: Params[] = [params, params];
const stepDiffs: number[] = [];
for (let i = 0; i < 3; i++) {
  const c: { params: Params; loss: number } = compiled.step(opt, pc!, {}, one, 0.05);
  const g = valueAndGrad(net, { kernels: fma })(pe!, one);
  const e: { params: Params } = opt.step(pe!, g.grads, {}, { lr: 0.05, kernels: fma });
  stepDiffs.push(Math.abs(c.loss - g.loss), ...leaves(c.params).map(([, t], j) => err(t.data, leaves(e.params)[j]![1].data)));
  [pc, pe] = [c.params, e.params];
}
const compiledDiff = Math.max(Math.abs(sc.loss - sf.loss), ...leaves(sc.grads).map(([, g], i) => err(g.data, leaves(sf.grads)[i]![1].data)), err(compiled.predict(params, batch.x).data, sf.out.data), ...stepDiffs);

console.log(JSON.stringify({
  compiledKernels: compiled.kernels.name, compiled: compiledDiff,
  node: process.version, relaxedSimd: hasRelaxedSimd(), kernels: fma.name,
  gemm: Math.max(...gemmErrors), conv: Math.max(err(cf.out.data, cj.out.data), err(bf.x.data, bj.x.data), err(bf.w.data, bj.w.data)),
  loss: Math.abs(sf.loss - sj.loss), grads: gradErr, shared: Math.max(...sharedErrors),
}));
