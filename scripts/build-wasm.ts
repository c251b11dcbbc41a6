// Assembles the kernel modules (src/ops/kernels/wasm: gemm.wat, and the
// fragments of elementwise/ wrapped into one module) and writes each
// module's bytes, base64-encoded, to <name>-wasm-bytes.ts, which is
// committed so nothing needs building to run. test/wasm-modules.test.ts checks
// that the committed bytes equal a fresh build.
//
// Every variant of a module is made here, one way: a text transform of its
// WAT before assembly. gemm-fma fuses the GEMM's multiply-adds (for runtimes
// with relaxed SIMD); the -shared modules declare their memory import shared
// (a kernel helper thread's heap: an import must say whether its memory is
// shared, so a module built for a private heap cannot link to it). Why at
// build time rather than when a module loads: the variants are made in one
// place, wabt validates each, and the test above checks that the committed
// bytes are what this script makes, so what runs is what was reviewed; and
// fusing multiply-adds means rewriting code, which in the binary is not
// practical, so patching bytes at load (possible for the memory import's
// limits) would be a second mechanism.
// Run: npm run build:wasm

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabtInit from 'wabt';
import { SHARED_MAX_PAGES } from '../src/ops/kernels/wasm/instantiate.ts';
import { F4x4, winogradTransformsWat, type WinogradMatrices } from './winograd-wat.ts';

const dir = fileURLToPath(new URL('../src/ops/kernels/wasm/', import.meta.url));

/**
 * The modules built, named <source>[-fma][-shared]: the source (gemm.wat, or
 * the elementwise fragments) and the transforms applied to its text.
 */
export const wasmModules = ['gemm', 'elementwise', 'gemm-fma', 'gemm-shared', 'gemm-fma-shared', 'elementwise-shared'] as const;
export type WasmModuleName = (typeof wasmModules)[number];
type Source = 'gemm' | 'elementwise';
const sourceOf = (name: WasmModuleName): Source => (name.startsWith('gemm') ? 'gemm' : 'elementwise');
const fmaOf = (name: WasmModuleName): boolean => name.includes('-fma');
const sharedOf = (name: WasmModuleName): boolean => name.endsWith('-shared');
export const bytesPathOf = (name: WasmModuleName): string => `${dir}${name}-wasm-bytes.ts`;
const identifier = (name: WasmModuleName): string => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * The elementwise module's fragments (elementwise/<part>.wat), in the order
 * they are assembled; the order fixes the function indices, so the bytes.
 */
const elementwiseParts = ['common', 'relu', 'bias', 'unroll', 'conv-c1', 'pool', 'optimizers', 'winograd'] as const;

/** The one import of every kernel module: the heap's memory (heap.ts). */
export const memoryImport = '(import "env" "memory" (memory 1))';

/**
 * The WAT of a module's source, before any transform. The elementwise
 * module ends with the Winograd tile transforms generated from `winograd`'s
 * matrices (scripts/winograd-wat.ts; another set only in a test).
 */
export const sourceWat = (source: Source, winograd: WinogradMatrices = F4x4): string =>
  source === 'gemm'
    ? readFileSync(`${dir}gemm.wat`, 'utf8')
    : `(module\n  ${memoryImport}\n\n${elementwiseParts.map((p) => readFileSync(`${dir}elementwise/${p}.wat`, 'utf8')).join('\n')}\n${winogradTransformsWat(winograd)})\n`;

/** gemm.wat with `acc + a * b` written as one relaxed fused multiply-add. */
export const fuseMultiplyAdds = (wat: string): string => {
  const fused = wat.replace(/\(f32x4\.add \((local\.get \$\w+)\) \(f32x4\.mul (\((?:[^()]|\([^()]*\))*\)) (\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))\)\)/g, '(f32x4.relaxed_madd $2 $3 ($1))');
  if (!fused.includes('relaxed_madd')) throw new Error('gemm.wat: no multiply-add to fuse');
  return fused;
};

/**
 * A module's WAT with its memory import declared shared, growing to at most
 * SHARED_MAX_PAGES: a shared memory must declare a maximum, and the helper's
 * heap (newSharedMemory) declares the same one.
 */
export const declareSharedMemory = (wat: string): string => {
  const parts = wat.split(memoryImport);
  if (parts.length !== 2) throw new Error(`a kernel module must import its memory exactly once, as ${memoryImport}`);
  return parts.join(`(import "env" "memory" (memory 1 ${SHARED_MAX_PAGES} shared))`);
};

/** The WAT a module is assembled from: its source with its variant's transforms applied. */
export const moduleWat = (name: WasmModuleName): string => {
  const wat = sourceWat(sourceOf(name));
  const fused = fmaOf(name) ? fuseMultiplyAdds(wat) : wat;
  return sharedOf(name) ? declareSharedMemory(fused) : fused;
};

/** Assembles a module (its WAT from moduleWat) into module bytes. */
export const assembleWat = async (name: WasmModuleName): Promise<Uint8Array> => assembleText(name, moduleWat(name));

/** Assembles module text into module bytes, validated. */
export const assembleText = async (name: string, wat: string): Promise<Uint8Array> => {
  const wabt = await wabtInit();
  const features = { simd: true, relaxed_simd: true, threads: true };
  const mod = wabt.parseWat(`${name}.wat`, wat, features);
  try {
    // validate takes the features as parseWat does (wabt's typings leave the argument out): a shared memory needs threads.
    (mod as unknown as { validate: (f: typeof features) => void }).validate(features);
    return new Uint8Array(mod.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    mod.destroy();
  }
};

// "elementwise.wat" names the elementwise module's text (its fragments
// joined), as it did when that was one file: the committed headers stay as they were.
const describe = (name: WasmModuleName): string => {
  const made = [fmaOf(name) ? 'fused multiply-adds' : '', sharedOf(name) ? 'a shared memory' : ''].filter((s) => s !== '');
  return `${sourceOf(name)}.wat${made.length > 0 ? ` with ${made.join(' and ')}` : ''}`;
};

/** The text of <name>-wasm-bytes.ts for the given module bytes. */
export const renderBytesModule = (bytes: Uint8Array, name: WasmModuleName): string => {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
  return `// GENERATED by scripts/build-wasm.ts from ${describe(name)}: do not edit (npm run build:wasm).

import { decodeBase64 } from './base64.ts';

/** The assembled ${name}.wat module, base64. */
export const ${identifier(name)}WasmBase64 =
${lines.join(' +\n')};

/** The module bytes. */
export const ${identifier(name)}WasmBytes = (): Uint8Array => decodeBase64(${identifier(name)}WasmBase64);
`;
};

const main = async (): Promise<void> => {
  for (const name of wasmModules) {
    const bytes = await assembleWat(name);
    writeFileSync(bytesPathOf(name), renderBytesModule(bytes, name));
    console.log(`wrote ${bytesPathOf(name)} (${bytes.length} bytes of wasm)`);
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
