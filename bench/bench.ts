// `npm run bench`: training and inference throughput (compiled, and the eager
// ops for comparison), a per-stage profile of one compiled step, per-op
// GFLOP/s on the seed network's real shapes, and the same network in
// TensorFlow.js (WASM backend) and PyTorch measured in the same run, and the
// model this project exports to ONNX in onnxruntime-web. Medians over repetitions after
// warm-up; speed lives here, never in unit tests. `--quick` for a short run,
// `--no-tfjs` to skip TensorFlow.js, `--no-torch` to skip PyTorch (run when
// Debian's python3-torch is installed), `--no-ort` to skip onnxruntime-web,
// `--kernels=js` to time the JS kernels. With the WASM kernels, rows marked
// 'winograd' run the same network with Winograd convolutions
// (compile(net, { winograd: true }), 'wasm-winograd') beside the direct ones,
// at batch 64 and 256 (a batch of one image has too few tiles: it runs the
// direct convolutions there).

import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { key, uniform } from '../src/core/random.ts';
import { tensor, type Tensor } from '../src/core/tensor.ts';
import { MNIST_SHAPE, optimizerByName, seedNetwork, type SeedParams } from '../src/graph/index.ts';
import { conv2d, dense, maxPool2d, padAll } from '../src/ops/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { createWasmKernels, hasRelaxedSimd } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { compile } from '../src/compile/compile.ts';
import { defaultAugment } from '../src/training/augment.ts';
import { compiledSource, eagerSource, type Source } from '../src/training/source.ts';
import { parallelGradients } from '../src/platform/data-parallel.ts';
import { startKernelHelper } from '../src/platform/kernel-helper.ts';
import { TFJS_NOTE, tfjsFigures } from './tfjs.ts';
import { ORT_NOTE, ortFiguresByThreads } from './onnxruntime.ts';

const quick = process.argv.includes('--quick');
const kernelName = (process.argv.find((a) => a.startsWith('--kernels='))?.split('=')[1] ?? 'wasm') as 'wasm' | 'js' | 'reference';
const kernels = kernelsByName(kernelName);
const reps = quick ? 3 : 7;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median seconds of `run` over `reps` repetitions after one warm-up. */
const time = async (run: () => unknown | Promise<unknown>, n = reps): Promise<number> => {
  await run();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
};

const batchOf = (n: number, seed: number): { x: Tensor; labels: Uint8Array } => ({
  x: tensor([n, 28, 28, 1], Float32Array.from(uniform(key(seed), n * 784))),
  labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
});

const rows: string[][] = [];
const ratios: string[] = [];
const ratio = (what: string, r: number): void => {
  ratios.push(`${what}: ${r.toFixed(2)}x`);
  console.error(`${what}: ${r.toFixed(2)}x`);
};
const row = (...cells: string[]): void => {
  rows.push(cells);
  console.error(cells.join('  '));
};

const net = seedNetwork({ init: 'he' });
const params0: SeedParams = net.init(key(0), MNIST_SHAPE);
// The compiled network (the default path for 'wasm'); the eager ops keep their own rows.
const compiled = kernelName === 'wasm' ? compile(net) : undefined;

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;
const memory: string[] = [];

/** How a row runs: the eager ops, compiled on one thread, compiled with a kernel helper, or two data-parallel workers. */
type Mode = 'eager' | 'one' | 'helper' | 'workers';
const threadsOf = (mode: Mode): number => (mode === 'helper' || mode === 'workers' ? 2 : 1);

const trainRate = async (batch: number, mode: Mode, winograd = false): Promise<number> => {
  const threads = threadsOf(mode);
  const opt = optimizerByName(batch === 1 ? 'sgd' : 'adam');
  const helper = mode === 'helper' ? await startKernelHelper() : undefined;
  const source: Source<SeedParams> =
    mode === 'workers'
      ? parallelGradients(params0, { network: { kind: 'seed', init: 'he' }, kernels: winograd ? 'wasm-winograd' : kernelName, threads })
      : helper !== undefined
        ? compiledSource(compile(net, { helper, winograd }))
        : winograd ? compiledSource(compile(net, { winograd }))
        : compiled === undefined || mode === 'eager' ? eagerSource(net, { kernels }) : compiledSource(compiled);
  const steps = batch === 1 ? (quick ? 100 : 400) : quick ? 5 : 20;
  const b = batchOf(batch, 1);
  let params = params0;
  let state = opt.init(params0);
  const rss0 = rssMiB();
  // The step fit runs.
  const sec = await time(async () => {
    for (let i = 0; i < steps; i++) {
      const next = await source.step(opt, params, state, b.x, b.labels, 1e-3);
      params = next.params;
      state = next.state;
    }
  }, quick ? 2 : 3);
  memory.push(`batch ${batch}, ${threads} thread(s)${mode === 'helper' ? ' (kernel helper)' : ''}${winograd ? ', winograd' : ''}: RSS ${rss0.toFixed(0)} MiB before ${((quick ? 3 : 4) * steps * batch).toLocaleString('en-US')} training images, ${rssMiB().toFixed(0)} MiB after`);
  await source.close();
  await helper?.close();
  return (steps * batch) / sec;
};

/** RSS across one whole epoch at batch 64 (938 steps, one thread): flat once warm, or it leaks. */
const epochMemory = async (): Promise<string> => {
  const opt = optimizerByName('adam');
  const source = compiled === undefined ? eagerSource(net, { kernels }) : compiledSource(compiled);
  const b = batchOf(64, 3);
  let params = params0;
  let state = opt.init(params0);
  const marks: string[] = [];
  for (let i = 0; i <= 938; i++) {
    if (i % 188 === 0 || i === 938) marks.push(`${rssMiB().toFixed(0)}`);
    if (i === 938) break;
    const next = await source.step(opt, params, state, b.x, b.labels, 1e-3);
    params = next.params;
    state = next.state;
  }
  return `one epoch at batch 64 (60,032 images, 1 thread): RSS every 188 steps ${marks.join(', ')} MiB`;
};

const main = async (): Promise<void> => {
  console.error(`kernels: ${kernels.name}; ${availableParallelism()} cores; node ${process.version}${quick ? '; quick' : ''}`);
  const ours = new Map<string, number>();
  const path = compiled === undefined ? 'eager' : 'compiled';
  const label: Record<Mode, string> = { eager: '1 thread', one: '1 thread', helper: '2 threads (kernel helper)', workers: '2 threads (data-parallel)' };
  const twoThreads = availableParallelism() > 1;
  for (const batch of [1, 64]) {
    if (compiled !== undefined) row('train eager', `batch ${batch}`, '1 thread', `${(await trainRate(batch, 'eager')).toFixed(0)} images/s`);
    const modes: Mode[] = !twoThreads ? ['one'] : compiled === undefined ? (batch === 1 ? ['one'] : ['one', 'workers']) : batch === 1 ? ['one', 'helper'] : ['one', 'helper', 'workers'];
    for (const mode of modes) {
      const rate = await trainRate(batch, mode);
      ours.set(`train ${batch} ${mode}`, rate);
      row(`train ${path}`, `batch ${batch}`, label[mode], `${rate.toFixed(0)} images/s`);
      if (compiled !== undefined && batch > 1) {
        const w = await trainRate(batch, mode, true);
        ours.set(`train ${batch} ${mode} winograd`, w);
        row(`train ${path} winograd`, `batch ${batch}`, label[mode], `${w.toFixed(0)} images/s (${(w / rate).toFixed(2)}x direct)`);
      }
    }
  }
  const bestTwo = Math.max(ours.get('train 64 helper') ?? 0, ours.get('train 64 workers') ?? 0);
  if (bestTwo > 0) ratio('2 threads / 1 thread, batch 64', bestTwo / ours.get('train 64 one')!);
  // Fused multiply-adds against plain SIMD, one thread, in the same run (where the runtime has relaxed SIMD).
  if (hasRelaxedSimd() && kernelName === 'wasm') {
    const rateWith = async (k: ReturnType<typeof createWasmKernels>, batch: number): Promise<number> => {
      const source = eagerSource(net, { kernels: k });
      const b = batchOf(batch, 5);
      const steps = batch === 1 ? 200 : 10;
      const sec = await time(async () => {
        for (let i = 0; i < steps; i++) await source.valueAndGrad(params0, b.x, b.labels);
      });
      return (steps * batch) / sec;
    };
    const plain = createWasmKernels({ fma: false }), fused = createWasmKernels({ fma: true });
    for (const batch of [1, 64]) {
      const [p, f] = [await rateWith(plain, batch), await rateWith(fused, batch)];
      row('fma', `batch ${batch} forward+backward`, '1 thread', `${f.toFixed(0)} images/s with FMA, ${p.toFixed(0)} without (${(f / p).toFixed(2)}x)`);
    }
  }
  // The default recipe's augmentation of one batch of 64, against one training step of it (2 threads).
  {
    const b = batchOf(64, 4);
    let i = 0;
    const sec = await time(() => {
      for (let j = 0; j < 20; j++) defaultAugment(key(i++), b.x);
    });
    const step = 64 / (bestTwo > 0 ? bestTwo : ours.get('train 64 one')!);
    row('augment', 'batch 64', `${((sec / 20) * 1000).toFixed(2)} ms`, `${((100 * sec) / 20 / step).toFixed(1)}% of a 2-thread training step`);
  }
  for (const batch of [1, 256]) {
    const b = batchOf(batch, 2);
    const n = batch === 1 ? 200 : 4;
    const rate = async (run: () => unknown): Promise<number> => (n * batch) / (await time(() => {
      for (let i = 0; i < n; i++) run();
    }));
    if (compiled !== undefined) row('infer eager', `batch ${batch}`, '1 thread', `${(await rate(() => net.apply(params0, b.x, { kernels }))).toFixed(0)} images/s`);
    const r = await rate(() => (compiled === undefined ? net.apply(params0, b.x, { kernels }) : compiled.predict(params0, b.x)));
    ours.set(`infer ${batch} 1`, r);
    row(`infer ${path}`, `batch ${batch}`, '1 thread', `${r.toFixed(0)} images/s`);
    if (compiled !== undefined && batch > 1) {
      const winograd = compile(net, { winograd: true });
      const rw = await rate(() => winograd.predict(params0, b.x));
      ours.set(`infer ${batch} 1 winograd`, rw);
      row(`infer ${path} winograd`, `batch ${batch}`, '1 thread', `${rw.toFixed(0)} images/s (${(rw / r).toFixed(2)}x direct)`);
    }
    if (compiled !== undefined && twoThreads) {
      const helper = await startKernelHelper();
      const withHelper = compile(net, { helper });
      const rh = await rate(() => withHelper.predict(params0, b.x));
      ours.set(`infer ${batch} helper`, rh);
      row(`infer ${path}`, `batch ${batch}`, label.helper, `${rh.toFixed(0)} images/s`);
      if (batch > 1) {
        const winograd = compile(net, { helper, winograd: true });
        const rw = await rate(() => winograd.predict(params0, b.x));
        ours.set(`infer ${batch} helper winograd`, rw);
        row(`infer ${path} winograd`, `batch ${batch}`, label.helper, `${rw.toFixed(0)} images/s (${(rw / rh).toFixed(2)}x direct)`);
      }
      await helper.close();
    }
    if (batch > 1 && twoThreads) {
      // The examples split over two workers, as fit's evaluation runs with --threads 2.
      const par = parallelGradients(params0, { network: { kind: 'seed', init: 'he' }, kernels: kernelName, threads: 2 });
      const r2 = (n * batch) / (await time(async () => {
        for (let i = 0; i < n; i++) await par.predict!(params0, b.x);
      }));
      await par.close();
      ours.set(`infer ${batch} workers`, r2);
      row(`infer ${path}`, `batch ${batch}`, label.workers, `${r2.toFixed(0)} images/s`);
    }
  }
  // Where one compiled step's time goes, stage by stage (medians of 21 calls, direct and Winograd alternated), at batch 64.
  if (compiled !== undefined) {
    const b = batchOf(64, 8);
    const winograd = compile(net, { winograd: true });
    const both = Array.from({ length: 22 }, () => [compiled.profile(params0, b), winograd.profile(params0, b)] as const).slice(1);
    const med = (k: 0 | 1, f: (r: (typeof both)[number][0]) => number): number => median(both.map((r) => f(r[k])));
    for (const [i, st] of both[0]![0].entries()) {
      const [f, bw] = [med(0, (r) => r[i]!.forwardMs), med(0, (r) => r[i]!.backwardMs)];
      row('stage', st.stage, `${f.toFixed(2)} ms forward`, `${bw.toFixed(2)} ms backward`);
      const [wf, wb] = [med(1, (r) => r[i]!.forwardMs), med(1, (r) => r[i]!.backwardMs)];
      if (st.stage.startsWith('conv2') || st.stage.startsWith('conv3')) {
        row('stage winograd', st.stage, `${wf.toFixed(2)} ms forward (${(f / wf).toFixed(2)}x faster)`, `${wb.toFixed(2)} ms backward (${(bw / wb).toFixed(2)}x faster)`);
      }
    }
  }
  // Per op at the network's shapes, batch 64.
  const op = async (name: string, flops: number, run: () => unknown): Promise<void> => {
    const sec = await time(run);
    row('op', name, `${(sec * 1000).toFixed(2)} ms`, `${(flops / sec / 1e9).toFixed(1)} GFLOP/s`);
  };
  const winogradKernels = kernelName === 'wasm' ? kernelsByName('wasm-winograd') : undefined;
  const convs: Array<[string, number, number, number]> = [['conv1', 28, 1, 16], ['conv2', 14, 16, 32], ['conv3', 7, 32, 64]];
  for (const [name, hw, cin, cout] of convs) {
    const x = tensor([64, hw, hw, cin], Float32Array.from(uniform(key(3), 64 * hw * hw * cin)));
    const w = tensor([3, 3, cin, cout], Float32Array.from(uniform(key(4), 9 * cin * cout)));
    const flops = 2 * 64 * hw * hw * 9 * cin * cout;
    await op(`${name} forward`, flops, () => conv2d(x, w, { pad: padAll(1), kernels }));
    const fwd = conv2d(x, w, { pad: padAll(1), kernels });
    await op(`${name} forward+backward (x and w)`, 3 * flops, () => conv2d(x, w, { pad: padAll(1), kernels }).backward(fwd.out));
    if (winogradKernels !== undefined && cin > 1) {
      // GFLOP/s as the direct convolution counts them: the rate of the same work done with less arithmetic.
      await op(`${name} forward winograd`, flops, () => conv2d(x, w, { pad: padAll(1), kernels: winogradKernels }));
      await op(`${name} forward+backward winograd`, 3 * flops, () => conv2d(x, w, { pad: padAll(1), kernels: winogradKernels }).backward(fwd.out));
    }
  }
  const xd = tensor([64, 3136], Float32Array.from(uniform(key(5), 64 * 3136)));
  const wd = tensor([3136, 100], Float32Array.from(uniform(key(6), 313600)));
  const bd = tensor([100], new Float32Array(100));
  await op('dense1 forward', 2 * 64 * 3136 * 100, () => dense(xd, wd, bd, { kernels }));
  const xp = tensor([64, 28, 28, 16], Float32Array.from(uniform(key(7), 64 * 12544)));
  const pool = { size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 } };
  const pf = maxPool2d(xp, { ...pool, kernels });
  await op('pool1 forward+backward', 2 * 64 * 14 * 14 * 16 * 9, () => maxPool2d(xp, { ...pool, kernels }).backward(pf.out));
  if (!quick) memory.push(await epochMemory());
  // PyTorch on the CPU with two threads (Debian's python3-torch), in the same run, where it is installed.
  let torchNote = 'PyTorch: skipped (`/usr/bin/python3 -c "import torch"` fails; apt-get install python3-torch to compare), or --no-torch';
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (python !== undefined && !process.argv.includes('--no-torch')) {
    const r = spawnSync(python, ['bench/pytorch.py', '--threads', '2', ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
    if (r.status === 0) {
      const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; threads: number; figures: Array<{ what: string; batch: number; imagesPerSecond: number }> };
      for (const f of t.figures) {
        const best = (winograd: boolean): number =>
          Math.max(...[...ours].filter(([k]) => k.startsWith(`${f.what} ${f.batch} `) && k.endsWith(' winograd') === winograd).map(([, v]) => v));
        const [mine, mineW] = [best(false), best(true)];
        const ratio = (Number.isFinite(mine) ? ` (ours / theirs: ${(mine / f.imagesPerSecond).toFixed(2)}x` : '') +
          (Number.isFinite(mineW) ? `, winograd ${(mineW / f.imagesPerSecond).toFixed(2)}x)` : Number.isFinite(mine) ? ')' : '');
        row(`pytorch ${f.what}`, `batch ${f.batch}`, `${t.threads} threads`, `${f.imagesPerSecond.toFixed(0)} images/s${ratio}`);
      }
      torchNote = `PyTorch ${t.torch} (${python}), CPU, ${t.threads} threads: bench/pytorch.py, the same network (untied biases as parameters, pools padded bottom/right), SGD at batch 1, Adam at batch 64; ours / theirs compares our best row of the same batch (1 or 2 threads), direct and winograd apart.`;
    } else torchNote = `PyTorch: bench/pytorch.py failed: ${r.stderr.split('\n').filter(Boolean).pop() ?? ''}`;
  }
  if (!process.argv.includes('--no-tfjs')) {
    for (const f of await tfjsFigures({ quick })) {
      const mine = Math.max(...[...ours].filter(([k]) => k.startsWith(`${f.what} ${f.batch} `) && !k.endsWith(' winograd')).map(([, v]) => v));
      row(`tfjs-wasm ${f.what}`, `batch ${f.batch}`, '1 thread', `${f.imagesPerSecond.toFixed(0)} images/s (ours / theirs: ${(mine / f.imagesPerSecond).toFixed(2)}x)`);
    }
  }
  // onnxruntime-web on the exported model, at each thread count ours ran with; ours / theirs at the same batch and thread count.
  let ortNote = '';
  if (!process.argv.includes('--no-ort')) {
    const { figures, version } = ortFiguresByThreads(twoThreads ? [1, 2] : [1], quick);
    for (const f of figures) {
      const mine = f.threads === 1 ? ours.get(`infer ${f.batch} 1`) : Math.max(ours.get(`infer ${f.batch} helper`) ?? 0, ours.get(`infer ${f.batch} workers`) ?? 0);
      const ratio = mine !== undefined && mine > 0 ? ` (ours / theirs: ${(mine / f.imagesPerSecond).toFixed(2)}x)` : '';
      row(`onnxruntime-web ${f.what}`, `batch ${f.batch}`, `${f.threads} thread${f.threads === 1 ? '' : 's'}`, `${f.imagesPerSecond.toFixed(0)} images/s${ratio}`);
    }
    ortNote = `onnxruntime-web ${version}: ${ORT_NOTE}`;
  }
  console.log(`\n| what | shape | threads / time | rate |\n|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  for (const r of ratios) console.log(`\n${r}`);
  console.log(`\nkernels ${kernels.name}${compiled === undefined ? '' : ', compiled'}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
  for (const m of memory) console.log(`memory: ${m}`);
  if (!process.argv.includes('--no-tfjs')) console.log(`\nTensorFlow.js: ${TFJS_NOTE}`);
  console.log(`\n${torchNote}`);
  if (ortNote !== '') console.log(`\n${ortNote}`);
};

await main();
