// The kernel modules as scripts/build-wasm.ts makes them: every committed
// variant equals a fresh build and is the one modules.ts hands out; the
// transforms do what they say (fused multiply-adds, a shared memory import);
// and the shared variants, on a shared memory, compute the plain ones'
// numbers bit for bit.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assembleWat, bytesPathOf, declareSharedMemory, fuseMultiplyAdds, memoryImport, moduleWat, renderBytesModule, sourceWat, wasmModules, type WasmModuleName,
} from '../scripts/build-wasm.ts';
import type { Kernels, WindowGeometry } from '../src/ops/kernels/types.ts';
import { createWasmConv } from '../src/ops/kernels/wasm/conv-wasm.ts';
import { createWasmElementwise } from '../src/ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm, hasRelaxedSimd } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../src/ops/kernels/wasm/heap.ts';
import { heapKernels } from '../src/ops/kernels/wasm/heap-kernels.ts';
import { instantiate, newMemory, newSharedMemory, SHARED_MAX_PAGES, type WasmMemory } from '../src/ops/kernels/wasm/instantiate.ts';
import { moduleBytes } from '../src/ops/kernels/wasm/modules.ts';
import { rng, same } from './helpers.ts';

const committed = (name: WasmModuleName): Uint8Array => {
  const [source, ...variant] = name.split('-');
  return moduleBytes(source as 'gemm', { fma: variant.includes('fma'), shared: variant.includes('shared') });
};

describe('the committed kernel modules', () => {
  it.each(wasmModules)('%s equals a fresh build, and is what moduleBytes gives', async (name) => {
    const fresh = await assembleWat(name);
    expect(readFileSync(bytesPathOf(name), 'utf8')).toBe(renderBytesModule(fresh, name));
    expect(Buffer.from(committed(name)).toString('base64')).toBe(Buffer.from(fresh).toString('base64'));
  });

  it('fuses the micro-kernels\' accumulations (12) and dense_sgd1\'s products (8)', () => {
    expect((fuseMultiplyAdds(sourceWat('gemm')).match(/f32x4\.relaxed_madd/g) ?? []).length).toBe(20);
  });

  it('a -shared module is its plain module\'s WAT with the memory import declared shared, and nothing else', () => {
    const shared = `(import "env" "memory" (memory 1 ${SHARED_MAX_PAGES} shared))`;
    for (const name of wasmModules.filter((n) => n.endsWith('-shared'))) {
      const plain = moduleWat(name.replace(/-shared$/, '') as WasmModuleName);
      expect(plain.split(memoryImport)).toHaveLength(2);
      expect(moduleWat(name)).toBe(plain.replace(memoryImport, shared));
    }
  });

  it('a module that does not import its memory exactly once is refused', () => {
    expect(() => declareSharedMemory('(module)')).toThrow(/exactly once/);
    expect(() => declareSharedMemory(`(module ${memoryImport} ${memoryImport})`)).toThrow(/exactly once/);
  });

  it('each variant links only to its kind of memory', () => {
    for (const built of [false, true]) {
      for (const onShared of [false, true]) {
        const link = (): unknown => instantiate(moduleBytes('gemm', { shared: built }), onShared ? newSharedMemory(1) : newMemory());
        if (built === onShared) expect(link).not.toThrow();
        else expect(link).toThrow(WebAssembly.LinkError);
      }
    }
  });
});

/** A WASM kernel set on the given memory, put together as createWasmKernels does. */
const kernelsOn = (memory: WasmMemory, fma: boolean): Kernels => {
  const heap = createHeap(memory);
  const g = createWasmGemm(heap, fma);
  const el = createWasmElementwise(heap);
  return { ...el.kernels, ...createWasmConv(heap, heapKernels(heap, g.gemmAt, g.denseSgdAt, el.raw)), name: 'wasm', gemm: g.gemm };
};

const rand = (n: number, seed: number): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
};

describe.each(hasRelaxedSimd() ? [false, true] : [false])('the shared modules (fma %s)', (fma) => {
  const plain = kernelsOn(newMemory(), fma);
  const shared = kernelsOn(newSharedMemory(1), fma);

  it('compute the plain modules\' numbers: a GEMM, a convolution and its gradients, a pool, an Adam step', () => {
    const [m, n, k] = [37, 19, 300];
    const a = rand(m * k, 1), b = rand(k * n, 2);
    const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
    plain.gemm(true, false, m, n, k, a, b, c1, false);
    shared.gemm(true, false, m, n, k, a, b, c2, false);
    same(c2, c1);

    const g: WindowGeometry = { n: 2, h: 9, w: 7, c: 3, kh: 3, kw: 3, stride: 1, padTop: 1, padLeft: 1, ho: 9, wo: 7 };
    const x = rand(2 * 9 * 7 * 3, 3), w = rand(3 * 3 * 3 * 8, 4), dy = rand(2 * 9 * 7 * 8, 5);
    same(shared.convForward(g, x, w, 8), plain.convForward(g, x, w, 8));
    const back = [plain.convBackward(g, x, w, dy, 8), shared.convBackward(g, x, w, dy, 8)] as const;
    same(back[1].dx, back[0].dx);
    same(back[1].dw, back[0].dw);

    const pg: WindowGeometry = { ...g, kh: 2, kw: 2, stride: 2, padTop: 0, padLeft: 0, ho: 4, wo: 3 };
    const pools = [plain.maxPool(pg, x, -Infinity), shared.maxPool(pg, x, -Infinity)] as const;
    same(pools[1].y, pools[0].y);
    same(pools[1].argmax, pools[0].argmax);

    const p = rand(1000, 6), mo = rand(1000, 7), v = rand(1000, 8).map(Math.abs), gr = rand(1000, 9);
    const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, c1: 0.1, c2: 0.001, eps: 1e-8 };
    const steps = [plain.adam(p, mo, v, gr, h), shared.adam(p, mo, v, gr, h)] as const;
    for (const key of ['p', 'm', 'v'] as const) same(steps[1][key], steps[0][key]);
  });
});
