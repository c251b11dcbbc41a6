// The training program's run, in a worker thread: the library's loop (fit)
// on the run's config, reporting steps, epochs and the end to the main
// thread as messages. It runs here so that the main thread's event loop is
// always free: a Ctrl-C or SIGTERM is handled at once, whatever a step or an
// evaluation is doing (launchers such as tsx kill a child that does not
// answer a signal within tens of milliseconds). Stopping is a flag in
// shared memory, read between steps.

import { parentPort, workerData } from 'node:worker_threads';
import { key } from '../core/random.ts';
import { MNIST_SHAPE, type Layer, type Tree } from '../graph/index.ts';
import { layoutOf, packTree, unpackTree, type Layout } from '../graph/packing.ts';
import type { Images } from '../training/batches.ts';
import type { TrainConfig } from './recipe/config.ts';
import type { Evaluation } from '../training/evaluate.ts';
import { fit, type EpochMetrics, type RunState } from '../training/loop.ts';
import { robustness, type RobustnessReport } from '../training/robustness.ts';
import { augmentFor, optimizerFor, scheduleFor } from './recipe/recipe.ts';
import type { NetworkSource } from '../parallel/protocol.ts';
import { loadNetwork } from '../platform/network-module.ts';
import { parallelGradients } from '../platform/data-parallel.ts';
import { startKernelHelper } from '../platform/kernel-helper.ts';
import { sourceByName } from './source-by-name.ts';
import { isWasmName } from '../ops/kernels/by-name.ts';

/** A run state with its parameters and optimizer state as flat arrays. */
export type PackedState = Omit<RunState<Tree>, 'params' | 'opt'> & { readonly params: Float32Array; readonly opt: Float32Array };

/**
 * How a run uses its threads. With the WASM kernels and two threads, a
 * kernel helper: the compiled network splits each step with a second thread
 * and gives one thread's numbers bit for bit (at batch 64 it trains 1.17x
 * faster than two data-parallel workers here). More threads, or the JS
 * kernels: data-parallel workers, each taking a share of the batch
 * (deterministic per thread count), as are batches over 2,048 (the
 * helper's shared heap holds 1 GiB; the seed network needs about 0.22 MB an
 * image). Batch 1 stays on one thread: there a step's halves are too short
 * to gain from a second core in a whole run.
 */
export interface ThreadPlan {
  readonly threads: number;
  readonly helper: boolean;
}

/** The largest batch trained with a kernel helper. */
const HELPER_MAX_BATCH = 2048;

/** The plan for a config's thread count (already at most the machine's cores) on a training set of `count` images. */
export const threadPlan = (c: Pick<TrainConfig, 'kernels' | 'threads' | 'batchSize'>, count: number): ThreadPlan => {
  const shares = Math.min(c.threads, c.batchSize, count);
  if (isWasmName(c.kernels) && c.threads === 2 && shares === 2 && c.batchSize <= HELPER_MAX_BATCH) return { threads: 2, helper: true };
  return { threads: shares, helper: false };
};

export interface TrainWorkerInit {
  readonly config: TrainConfig;
  /** The network trained: the seed network (with the config's init), or a user's module (--network). */
  readonly network: NetworkSource;
  readonly plan: ThreadPlan;
  readonly train: Images;
  readonly test: Images;
  readonly start: PackedState;
  /** Stop at the start of this epoch (0: never). */
  readonly stopAtEpoch: number;
  /** Int32Array[1]: non-zero asks the run to stop before its next step. */
  readonly stop: SharedArrayBuffer;
}

export type TrainWorkerMessage =
  | { readonly kind: 'step'; readonly epoch: number; readonly step: number; readonly steps: number; readonly seconds: number }
  | { readonly kind: 'epoch'; readonly metrics: EpochMetrics; readonly state: PackedState; readonly evaluation: Evaluation }
  /** The run is finished and saved; the robustness table is being computed. */
  | { readonly kind: 'robustness' }
  | {
      readonly kind: 'end'; readonly status: 'finished' | 'stopped' | 'diverged'; readonly state: PackedState;
      readonly evaluation: Evaluation | null; readonly robustness: RobustnessReport | null; readonly reason: string;
    };

/** The layouts of the run's parameters and optimizer state: fixed by the network and the config's optimizer. */
export const layoutsFor = (net: Layer<Tree>, config: TrainConfig): { readonly params: Layout; readonly opt: Layout; readonly template: Tree; readonly optTemplate: Tree } => {
  const template = net.init(key(0), MNIST_SHAPE);
  const optTemplate = optimizerFor(config).init(template);
  return { params: layoutOf(template), opt: layoutOf(optTemplate), template, optTemplate };
};

export const packState = (s: RunState<Tree>, l: ReturnType<typeof layoutsFor>): PackedState => ({
  ...s, params: packTree(s.params, l.params), opt: packTree(s.opt, l.opt),
});

export const unpackState = (s: PackedState, l: ReturnType<typeof layoutsFor>): RunState<Tree> => ({
  ...s,
  params: unpackTree(l.params, s.params, { copy: false, template: l.template }),
  opt: unpackTree(l.opt, s.opt, { copy: false, template: l.optTemplate }),
});

if (parentPort !== null) {
  const port = parentPort;
  const init = workerData as TrainWorkerInit;
  const { config, plan } = init;
  const stop = new Int32Array(init.stop);
  const post = (m: TrainWorkerMessage): void => port.postMessage(m);
  let lastReport = 0;
  void Promise.all([loadNetwork(init.network), plan.helper ? startKernelHelper() : Promise.resolve(undefined)]).then(([net, helper]) => {
    const layouts = layoutsFor(net, config);
    const augment = augmentFor(config);
    const source = plan.threads > 1 && !plan.helper
      ? parallelGradients(layouts.template, { network: init.network, kernels: config.kernels, threads: plan.threads })
      : sourceByName(net, config.kernels, helper);
    return fit(
      {
        net, optimizer: optimizerFor(config), schedule: scheduleFor(config), epochs: config.epochs, batchSize: config.batchSize,
        shuffle: config.shuffle, seed: config.seed, source, train: init.train, test: init.test,
        ...(augment === undefined ? {} : { augment }),
      },
      unpackState(init.start, layouts),
      {
        shouldStop: (s) => Atomics.load(stop, 0) !== 0 || (s.step === 0 && init.stopAtEpoch > 0 && s.epoch >= init.stopAtEpoch && s.epoch < config.epochs),
        onStep: (s, steps) => {
          const now = performance.now();
          if (now - lastReport < 100 && s.step < steps) return;
          lastReport = now;
          post({ kind: 'step', epoch: s.epoch, step: s.step, steps, seconds: s.seconds });
        },
        onEpoch: ({ metrics, state, evaluation }) => post({ kind: 'epoch', metrics, state: packState(state, layouts), evaluation }),
      },
    ).then(async (r) => {
      const stopped = (): boolean => Atomics.load(stop, 0) !== 0;
      // How the finished model reads moved, turned, resized, thicker and thinner digits; a stop skips the rest of it.
      if (r.status === 'finished' && !stopped()) post({ kind: 'robustness' });
      const report = r.status === 'finished' ? await robustness(net, r.state.params, init.test, { kernels: source.kernels, predict: source.predict }, stopped) : null;
      await source.close();
      await helper?.close();
      post({
        kind: 'end', status: r.status, state: packState(r.state, layouts),
        evaluation: r.status === 'finished' ? r.evaluation : null, reason: r.status === 'diverged' ? r.reason : '', robustness: report,
      });
    });
  });
}
