// onnxruntime-web (its WASM backend, SIMD and threads) running the model the
// project exports itself (src/formats/onnx.ts), under Node: what the bench's
// onnxruntime rows and test/onnx.test.ts run. onnxruntime fixes its thread
// count when its WASM module starts, once per process, so the bench runs one
// child per thread count:
// `npx tsx bench/onnxruntime.ts --threads N [--quick]` prints JSON figures.

import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-web';
import { key, uniform } from '../src/core/random.ts';
import { MNIST_SHAPE, seedNetwork } from '../src/graph/index.ts';
import { encodeOnnx } from '../src/formats/onnx.ts';

export const ORT_NOTE =
  'WASM backend (SIMD, its own worker threads), in a child process per thread count, on the ONNX model this ' +
  'project exports (encodeOnnx: Transpose to NCHW, Conv + Add of the untied bias + Relu, Pad + MaxPool, Transpose, Flatten, Gemm), ' +
  'graph optimisations on (default "all"), one InferenceSession.run per batch on a fresh input tensor; ours / theirs compares our ' +
  'row of the same batch and thread count.';

let started: number | undefined;

/**
 * A session on `model` on the WASM backend with `threads` threads. The
 * first call fixes the thread count for the process (onnxruntime starts its
 * WASM module once); a later call with another count throws.
 */
export const ortSession = async (model: Uint8Array, threads: number): Promise<ort.InferenceSession> => {
  if (started !== undefined && started !== threads) throw new Error(`onnxruntime already runs on ${started} thread(s) in this process; ${threads} needs another process`);
  started = threads;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: threads });
};

/** The logits of `n` images (NHWC floats, n·784 of them) from a session on the exported model. */
export const ortLogits = async (session: ort.InferenceSession, x: Float32Array, n: number): Promise<Float32Array> => {
  const input = new ort.Tensor('float32', x, [n, ...MNIST_SHAPE]);
  const out = await session.run({ [session.inputNames[0]!]: input });
  const logits = out[session.outputNames[0]!]!;
  const data = logits.data as Float32Array;
  const copy = Float32Array.from(data);
  logits.dispose();
  return copy;
};

export type OrtFigure = { what: 'infer'; batch: number; threads: number; imagesPerSecond: number };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Inference rates at batch 1 and 256 on `threads` threads: medians of repetitions after a warm-up, as bench.ts times its own rows. */
export const ortFigures = async (threads: number, quick: boolean): Promise<OrtFigure[]> => {
  const net = seedNetwork({ init: 'he' });
  const model = encodeOnnx(net, net.init(key(0), MNIST_SHAPE));
  if (model._tag === 'Left') throw new Error(model.left);
  const session = await ortSession(model.right, threads);
  const figures: OrtFigure[] = [];
  for (const batch of [1, 256]) {
    const x = Float32Array.from(uniform(key(2), batch * 784));
    const n = batch === 1 ? 200 : 4;
    const run = async (): Promise<void> => {
      for (let i = 0; i < n; i++) await ortLogits(session, x, batch);
    };
    await run();
    const ts: number[] = [];
    for (let r = 0; r < (quick ? 3 : 7); r++) {
      const t0 = performance.now();
      await run();
      ts.push((performance.now() - t0) / 1000);
    }
    figures.push({ what: 'infer', batch, threads, imagesPerSecond: (n * batch) / median(ts) });
  }
  await session.release();
  return figures;
};

/** The figures at each thread count, each from a child process of its own (onnxruntime's thread count is fixed per process). */
export const ortFiguresByThreads = (threadCounts: readonly number[], quick: boolean): { figures: OrtFigure[]; version: string } => {
  const figures: OrtFigure[] = [];
  let version = '';
  for (const threads of threadCounts) {
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--threads', String(threads), ...(quick ? ['--quick'] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench/onnxruntime.ts --threads ${threads} failed: ${r.stderr.split('\n').filter(Boolean).pop() ?? ''}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ort: string; figures: OrtFigure[] };
    figures.push(...out.figures);
    version = out.ort;
  }
  return { figures, version };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--threads');
  const threads = i < 0 ? 1 : Number(process.argv[i + 1]);
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads takes a positive integer');
  const figures = await ortFigures(threads, process.argv.includes('--quick'));
  console.log(JSON.stringify({ ort: ort.env.versions.web ?? ort.env.versions.common, threads, figures }));
  process.exit(0);
}
