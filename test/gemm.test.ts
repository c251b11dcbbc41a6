// The fast GEMM kernels (blocked JS, WASM SIMD) against the reference triple
// loop, on awkward shapes, every transpose combination, with and without
// accumulate; inputs must come back untouched. (That the committed WASM
// bytes are fresh builds: wasm-modules.test.ts.)

import { describe, expect, it } from 'vitest';
import { gemmJs } from '../src/ops/kernels/gemm-js.ts';
import { gemmReference } from '../src/ops/kernels/gemm-reference.ts';
import type { Gemm } from '../src/ops/kernels/types.ts';
import { decodeBase64 } from '../src/ops/kernels/wasm/base64.ts';
import { createWasmKernels } from '../src/ops/kernels/wasm/gemm-wasm.ts';

// A small deterministic PRNG (mulberry32) so failures reproduce.
const prng = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const randomArray = (rnd: () => number, len: number): Float32Array => {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = rnd() * 2 - 1;
  return x;
};

interface Case { readonly m: number; readonly n: number; readonly k: number; readonly transA: boolean; readonly transB: boolean; readonly accumulate: boolean }

/**
 * Runs `gemm` and the reference on the same random operands and checks
 * |diff| <= 1e-5 * sum_p |a_ip||b_pj| + 1e-6 elementwise (the float32
 * rounding bound, loosely), and that A and B are byte-for-byte unchanged.
 * Returns a description of the first failure, or undefined.
 */
const check = (gemm: Gemm, cs: Case, rnd: () => number): string | undefined => {
  const { m, n, k, transA, transB, accumulate } = cs;
  const a = randomArray(rnd, m * k);
  const b = randomArray(rnd, k * n);
  const c0 = randomArray(rnd, m * n);
  const aCopy = new Uint8Array(a.buffer.slice(0));
  const bCopy = new Uint8Array(b.buffer.slice(0));
  const want = new Float64Array(c0);
  gemmReference(transA, transB, m, n, k, new Float64Array(a), new Float64Array(b), want, accumulate);
  const got = c0.slice();
  gemm(transA, transB, m, n, k, a, b, got, accumulate);
  if (!new Uint8Array(a.buffer).every((v, i) => v === aCopy[i])) return `${JSON.stringify(cs)}: A modified`;
  if (!new Uint8Array(b.buffer).every((v, i) => v === bCopy[i])) return `${JSON.stringify(cs)}: B modified`;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let mag = accumulate ? Math.abs(c0[i * n + j]!) : 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        mag += Math.abs(av * bv);
      }
      const diff = Math.abs(got[i * n + j]! - want[i * n + j]!);
      if (!(diff <= 1e-5 * mag + 1e-6)) return `${JSON.stringify(cs)}: C[${i},${j}] = ${got[i * n + j]}, want ${want[i * n + j]}`;
    }
  }
  return undefined;
};

const sizes = [1, 2, 3, 5, 7, 8, 9, 13, 17, 33, 64];
const combos = [[false, false], [true, false], [false, true], [true, true]] as const;

// Random shapes from `sizes`, every transpose combination and accumulate
// setting, plus k values that cross the WASM kernel's k-blocking (256) and m
// values that cross its m-blocking (128).
const randomCases = (rnd: () => number, count: number): Case[] => {
  const pick = (): number => sizes[Math.floor(rnd() * sizes.length)]!;
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    for (const [transA, transB] of combos) {
      for (const accumulate of [false, true]) out.push({ m: pick(), n: pick(), k: pick(), transA, transB, accumulate });
    }
  }
  for (const [m, n, k] of [[1, 1, 1], [1, 1, 300], [130, 9, 513], [257, 17, 5], [4, 8, 256], [3, 40, 257]] as const) {
    for (const [transA, transB] of combos) out.push({ m, n, k, transA, transB, accumulate: rnd() < 0.5 });
  }
  return out;
};

// The network's GEMMs at batch 1.
const networkCases: Case[] = ([
  [784, 16, 9, false, false], [196, 32, 144, false, false], [49, 64, 288, false, false],
  [1, 100, 3136, false, false], [1, 3136, 100, false, true], [3136, 100, 1, true, false],
  [144, 32, 196, true, false], [196, 144, 32, false, true], [1, 10, 100, false, false],
] as const).flatMap(([m, n, k, transA, transB]) => [false, true].map((accumulate) => ({ m, n, k, transA, transB, accumulate })));

const kernels: readonly (readonly [string, Gemm])[] = [['js', gemmJs], ['wasm', createWasmKernels().gemm]];

describe.each(kernels)('gemm %s', (_name, gemm) => {
  it('matches the reference on random awkward shapes', () => {
    const rnd = prng(1234);
    const failures = randomCases(rnd, 12).map((cs) => check(gemm, cs, rnd)).filter((f) => f !== undefined);
    expect(failures).toEqual([]);
  });

  it('matches the reference on every small shape', () => {
    const rnd = prng(99);
    const failures: string[] = [];
    for (const m of [1, 2, 3, 5, 9]) for (const n of [1, 2, 7, 8, 9, 17]) for (const k of [1, 2, 5]) {
      for (const [transA, transB] of combos) {
        const f = check(gemm, { m, n, k, transA, transB, accumulate: (m + n + k) % 2 === 0 }, rnd);
        if (f !== undefined) failures.push(f);
      }
    }
    expect(failures).toEqual([]);
  });

  it('matches the reference on the batch-1 network shapes', () => {
    const rnd = prng(7);
    const failures = networkCases.map((cs) => check(gemm, cs, rnd)).filter((f) => f !== undefined);
    expect(failures).toEqual([]);
  });

  it('writes only the first m*n elements of C, and k = 0 gives zeros (or leaves C)', () => {
    const a = new Float32Array(6).fill(1), b = new Float32Array(6).fill(2);
    const c = new Float32Array(8).fill(-1);
    gemm(false, false, 2, 3, 2, a.subarray(0, 4), b, c.subarray(0, 6), false);
    expect(Array.from(c)).toEqual([4, 4, 4, 4, 4, 4, -1, -1]);
    gemm(false, false, 2, 3, 0, a, b, c, true);
    expect(Array.from(c)).toEqual([4, 4, 4, 4, 4, 4, -1, -1]);
    gemm(false, false, 2, 3, 0, a, b, c, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0, -1, -1]);
  });

  it('handles Float64Array operands', () => {
    const rnd = prng(5);
    const [m, n, k] = [9, 7, 13];
    const a = Float64Array.from(randomArray(rnd, m * k)), b = Float64Array.from(randomArray(rnd, k * n));
    const want = new Float64Array(m * n), got = new Float64Array(m * n);
    gemmReference(true, false, m, n, k, a, b, want, false);
    gemm(true, false, m, n, k, a, b, got, false);
    for (let i = 0; i < m * n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12);
  });
});

describe('wasm kernel set', () => {
  it('is named wasm and keeps separate instances independent', () => {
    const k1 = createWasmKernels(), k2 = createWasmKernels();
    expect(k1.name).toBe('wasm');
    const c1 = new Float32Array(1), c2 = new Float32Array(1);
    k1.gemm(false, false, 1, 1, 1, Float32Array.of(2), Float32Array.of(3), c1, false);
    k2.gemm(false, false, 1, 1, 1, Float32Array.of(5), Float32Array.of(7), c2, false);
    expect([c1[0], c2[0]]).toEqual([6, 35]);
  });

  it('grows its memory for large operands and still agrees', () => {
    const rnd = prng(11);
    expect(check(createWasmKernels().gemm, { m: 700, n: 33, k: 300, transA: true, transB: false, accumulate: true }, rnd)).toBeUndefined();
  });

  it('decodes base64 like the platform does', () => {
    const bytes = Uint8Array.from({ length: 259 }, (_, i) => (i * 37) & 255);
    for (const len of [0, 1, 2, 3, 4, 255, 259]) {
      const sub = bytes.subarray(0, len);
      expect(Array.from(decodeBase64(Buffer.from(sub).toString('base64')))).toEqual(Array.from(sub));
    }
  });
});
