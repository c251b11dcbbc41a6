// The page's worker: trains the network from scratch with the library's loop
// (fit) and default recipe, as the CLI does, reporting progress and weights as it goes,
// and scans the test set for mistakes. Stop takes effect between two steps;
// resume continues from that exact state.

import { key } from '../core/random.ts';
import { leaves, MNIST_SHAPE, valueAndGrad, type SeedParams } from '../graph/index.ts';
import { compile } from '../compile/compile.ts';
import { softmax } from '../ops/softmax.ts';
import { makeBatch, type Images } from '../training/batches.ts';
import { evaluate } from '../training/evaluate.ts';
import { defaultAugment } from '../training/augment.ts';
import { presets } from '../program/recipe/config.ts';
import { fit, initialState, type RunState } from '../training/loop.ts';
import { networkFor, optimizerFor, scheduleFor } from '../program/recipe/recipe.ts';
import { workerGradients, type WorkerPort } from '../parallel/source.ts';
import type { WorkerInit } from '../parallel/protocol.ts';
import { compiledSource, type Source } from '../training/source.ts';
import { fetchSplit } from './mnist-fetch.ts';
import { pack, unpack } from './params.ts';
import type { FromWorker, LayerHealth, Mistake, ToWorker } from './protocol.ts';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);

// The CLI's default recipe, as the library defines it.
const RECIPE = presets.default;
const REPORT_MS = 250;

const net = networkFor(RECIPE);
// Compiled: the eager WASM results bit for bit, with every intermediate kept in one heap.
const compiled = compile(net);
const kernels = compiled.kernels;

// Shared memory needs a cross-origin isolated page (the demo server sends COOP and COEP); then each
// step is split over gradient workers, as the CLI splits it over worker threads, up to 4 of them.
const THREADS = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
const spawnGradWorker = (init: WorkerInit): WorkerPort => {
  const w = new Worker(new URL('./grad-worker.ts', import.meta.url), { type: 'module' });
  w.postMessage(init);
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onFailure: (f) => w.addEventListener('error', (e) => {
      e.preventDefault();
      f(`failed: ${e.message}`);
    }),
    terminate: () => Promise.resolve(w.terminate()),
  };
};
let parallel: Source<SeedParams> | null = null;
const sourceFor = (params: SeedParams): Source<SeedParams> =>
  THREADS > 1 ? (parallel ??= workerGradients(params, { network: { kind: 'seed', init: RECIPE.init }, kernels: 'wasm', threads: THREADS, spawn: spawnGradWorker })) : compiledSource(compiled);
const optimizer = optimizerFor(RECIPE);
let dataUrl = '';
let train: Promise<Images> | null = null;
let test: Promise<Images> | null = null;
// A failed fetch is forgotten, so the next attempt fetches again.
const trainSet = (): Promise<Images> =>
  (train ??= fetchSplit(dataUrl, 'train').catch((err: unknown) => {
    train = null;
    throw err;
  }));
const testSet = (): Promise<Images> =>
  (test ??= fetchSplit(dataUrl, 't10k').catch((err: unknown) => {
    test = null;
    throw err;
  }));

interface Run {
  state: RunState<SeedParams>;
  readonly epochs: number;
  readonly seed: number;
  stop: boolean;
  running: boolean;
}
let run: Run | null = null;

/** Runs until done or stopped; always ends with a `stopped` message, after an error too. */
const continueRun = async (r: Run): Promise<void> => {
  r.running = true;
  r.stop = false;
  try {
    await trainUntilStopped(r);
  } catch (err) {
    fail('train', err);
  } finally {
    r.running = false;
    post({ kind: 'stopped', finished: r.state.epoch >= r.epochs });
  }
};

const meanAbs = (d: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += Math.abs(d[i]!);
  return s / d.length;
};

const PROBE_MS = 1000;
/**
 * Gradient and update sizes per parameter, about once a second: the gradient on a
 * fixed probe batch (not the training batch, which the loop does not hand out), the
 * update from the weights at the previous probe.
 */
const healthProbe = (probe: { readonly x: ReturnType<typeof makeBatch>['x']; readonly labels: Uint8Array }) => {
  let last: { t: number; step: number; params: SeedParams } | null = null;
  const grad = valueAndGrad(net, { kernels });
  return (params: SeedParams, step: number, now: number): LayerHealth[] | undefined => {
    if (last !== null && now - last.t < PROBE_MS) return undefined;
    const before = last;
    last = { t: now, step, params };
    if (before === null || step <= before.step) return undefined;
    const g = new Map(leaves(grad(params, probe).grads));
    const old = new Map(leaves(before.params));
    return leaves(params).map(([path, p]) => {
      const o = old.get(path)!;
      const delta = new Float64Array(p.data.length);
      for (let i = 0; i < delta.length; i++) delta[i] = p.data[i]! - o.data[i]!;
      const w = meanAbs(o.data);
      return { path, gradMeanAbs: meanAbs(g.get(path)!.data), updateRatio: w > 0 ? meanAbs(delta) / (step - before.step) / w : 0 };
    });
  };
};

const trainUntilStopped = async (r: Run): Promise<void> => {
  const [train, test] = await Promise.all([trainSet(), testSet()]);
  const config = { ...RECIPE, epochs: r.epochs };
  const setup = {
    net, optimizer, schedule: scheduleFor(config), epochs: r.epochs, batchSize: RECIPE.batchSize, shuffle: RECIPE.shuffle,
    seed: r.seed, source: sourceFor(r.state.params), train, test, augment: defaultAugment,
  };
  let last = { t: performance.now(), step: r.state.step, lossSum: r.state.lossSum, correct: r.state.correct };
  const health = healthProbe(makeBatch(train, null, 0, 32));
  const result = await fit(setup, r.state, {
    shouldStop: () => r.stop,
    onStep: (s, steps) => {
      r.state = s;
      const now = performance.now();
      if (now - last.t < REPORT_MS && s.step < steps) return;
      const images = Math.min(train.count, s.step * RECIPE.batchSize) - Math.min(train.count, last.step * RECIPE.batchSize);
      const layers = health(s.params, s.epoch * steps + s.step, now);
      post({
        kind: 'progress', epoch: s.epoch, epochs: r.epochs, step: s.step, steps,
        loss: (s.lossSum - last.lossSum) / Math.max(1, images), accuracy: (s.correct - last.correct) / Math.max(1, images),
        lr: setup.schedule(s.epoch + s.step / steps), imagesPerSecond: images / ((now - last.t) / 1000), threads: THREADS,
        params: pack(s.params), ...(layers === undefined ? {} : { health: layers }),
      });
      last = { t: now, step: s.step, lossSum: s.lossSum, correct: s.correct };
    },
    onEpoch: ({ metrics, state }) => {
      r.state = state;
      post({ kind: 'epoch', epoch: metrics.epoch, testAccuracy: metrics.testAccuracy, testLoss: metrics.testLoss });
      last = { t: performance.now(), step: 0, lossSum: 0, correct: 0 };
    },
  });
  r.state = result.state;
  if (result.status === 'diverged') throw new Error(`training diverged: ${result.reason}`);
};

const mistakes = async (params: SeedParams): Promise<void> => {
  const data = await testSet();
  const e = evaluate(net, params, data, { kernels, predict: compiled.predict });
  const wrong: Mistake[] = [];
  for (let i = 0; i < data.count; i++) {
    if (e.predictions[i] === data.labels[i]) continue;
    const { x } = makeBatch(data, null, i, i + 1);
    const probs = Array.from(softmax(compiled.predict(params, x)).out.data);
    wrong.push({ index: i, label: data.labels[i]!, predicted: e.predictions[i]!, probs, pixels: data.pixels.slice(i * 784, i * 784 + 784) });
  }
  wrong.sort((a, b) => b.probs[b.predicted]! - a.probs[a.predicted]!);
  post({ kind: 'mistakes', accuracy: e.accuracy, mistakes: wrong });
};

const fail = (source: 'train' | 'scan', err: unknown): void =>
  post({ kind: 'error', source, message: err instanceof Error ? err.message : String(err) });

scope.onmessage = (e) => {
  const m = e.data;
  if (m.kind === 'data') {
    dataUrl = m.url;
  } else if (m.kind === 'train') {
    if (run?.running) return post({ kind: 'status', source: 'train', text: 'already training: stop first' });
    const params = net.init(key(m.seed), MNIST_SHAPE);
    run = {
      state: initialState(params, optimizer),
      epochs: m.epochs, seed: m.seed, stop: false, running: false,
    };
    post({ kind: 'status', source: 'train', text: 'loading MNIST…' });
    void continueRun(run);
  } else if (m.kind === 'stop') {
    if (run !== null) run.stop = true;
  } else if (m.kind === 'resume') {
    if (run !== null && !run.running && run.state.epoch < run.epochs) void continueRun(run);
  } else {
    post({ kind: 'status', source: 'scan', text: 'scanning the 10,000 test images…' });
    mistakes(unpack(m.params)).catch((err: unknown) => fail('scan', err));
  }
};
