// GEMM throughput of the js and wasm kernels at the network's shapes:
// GFLOP/s (2mnk / time), median of several reps after warmup.
// Run: npx tsx bench/gemm.ts

import { gemmJs } from '../src/ops/kernels/gemm-js.ts';
import type { Gemm } from '../src/ops/kernels/types.ts';
import { createWasmKernels } from '../src/ops/kernels/wasm/gemm-wasm.ts';

interface Shape { readonly label: string; readonly m: number; readonly n: number; readonly k: number; readonly tA: boolean; readonly tB: boolean }
const s = (label: string, m: number, n: number, k: number, tA = false, tB = false): Shape => ({ label, m, n, k, tA, tB });

const shapes: readonly Shape[] = [
  s('b64 conv1 fwd', 50176, 16, 9),
  s('b64 conv2 fwd', 12544, 32, 144),
  s('b64 conv3 fwd', 3136, 64, 288),
  s('b64 fc1 fwd', 64, 100, 3136),
  s('b64 fc2 fwd', 64, 10, 100),
  s('b64 conv2 dW (tA)', 144, 32, 12544, true),
  s('b64 conv3 dW (tA)', 288, 64, 3136, true),
  s('b64 conv1 dW (tA)', 9, 16, 50176, true),
  s('b64 conv2 dX (tB)', 12544, 144, 32, false, true),
  s('b64 conv3 dX (tB)', 3136, 288, 64, false, true),
  s('b64 fc1 dW (tA)', 3136, 100, 64, true),
  s('b64 fc1 dX (tB)', 64, 3136, 100, false, true),
  s('b1 conv1 fwd', 784, 16, 9),
  s('b1 conv2 fwd', 196, 32, 144),
  s('b1 conv3 fwd', 49, 64, 288),
  s('b1 fc1 fwd', 1, 100, 3136),
  s('b1 fc1 dX (tB)', 1, 3136, 100, false, true),
  s('b1 fc1 dW (tA)', 3136, 100, 1, true),
];

const rand = (len: number): Float32Array => {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = Math.random() * 2 - 1;
  return x;
};

const measure = (gemm: Gemm, sh: Shape): number => {
  const a = rand(sh.m * sh.k), b = rand(sh.k * sh.n), c = new Float32Array(sh.m * sh.n);
  const flop = 2 * sh.m * sh.n * sh.k;
  // warm up (WASM tiers up from the baseline compiler to the optimizing one
  // after a while), then pick enough calls per rep for ~20 ms
  for (const t0 = performance.now(); performance.now() - t0 < 150;) gemm(sh.tA, sh.tB, sh.m, sh.n, sh.k, a, b, c, false);
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) gemm(sh.tA, sh.tB, sh.m, sh.n, sh.k, a, b, c, false);
    if (performance.now() - t0 > 20 || calls > 1 << 20) break;
    calls *= 2;
  }
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) gemm(sh.tA, sh.tB, sh.m, sh.n, sh.k, a, b, c, false);
    times.push((performance.now() - t0) / calls);
  }
  times.sort((x, y) => x - y);
  return flop / (times[3]! * 1e6);
};

const wasm = createWasmKernels().gemm;
console.log(`${'shape'.padEnd(20)} ${'m,n,k'.padEnd(18)} ${'js GF/s'.padStart(8)} ${'wasm GF/s'.padStart(10)} ${'wasm us'.padStart(9)} ${'x'.padStart(6)}`);
for (const sh of shapes) {
  const js = measure(gemmJs, sh);
  const w = measure(wasm, sh);
  const us = (2 * sh.m * sh.n * sh.k) / (w * 1e3);
  console.log(`${sh.label.padEnd(20)} ${`${sh.m},${sh.n},${sh.k}`.padEnd(18)} ${js.toFixed(2).padStart(8)} ${w.toFixed(2).padStart(10)} ${us.toFixed(1).padStart(9)} ${(w / js).toFixed(1).padStart(6)}`);
}
