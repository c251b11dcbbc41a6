// The main thread's side of src/program/train-worker.ts: starts the run in
// a worker, hands its messages to the program in order (an epoch's save
// finishes before the next message is handled), and stops it on request.
// The main thread only waits, so it answers signals at once.

import type { Layer, Tree } from '../graph/index.ts';
import type { NetworkSource } from '../parallel/protocol.ts';
import type { Images } from '../training/batches.ts';
import type { TrainConfig } from './recipe/config.ts';
import type { Evaluation } from '../training/evaluate.ts';
import type { EpochMetrics, FitResult, RunState } from '../training/loop.ts';
import type { RobustnessReport } from '../training/robustness.ts';
import { spawnWorker } from '../platform/spawn-worker.ts';
import { layoutsFor, packState, unpackState, type ThreadPlan, type TrainWorkerInit, type TrainWorkerMessage } from './train-worker.ts';

export interface BackgroundEvents {
  readonly onStep?: (progress: { readonly epoch: number; readonly step: number; readonly steps: number; readonly seconds: number }) => void;
  /** Awaited before the next message is handled. */
  readonly onEpoch?: (end: { readonly metrics: EpochMetrics; readonly state: RunState<Tree>; readonly evaluation: Evaluation }) => Promise<void>;
  /** The run is finished and saved; the robustness table is being computed (a stop skips it). */
  readonly onRobustness?: () => void;
}

export interface BackgroundRun {
  /** How the run ended; rejects if the worker fails or an event handler throws. */
  readonly result: Promise<{ readonly fit: FitResult<Tree>; readonly robustness: RobustnessReport | null }>;
  /** Asks the run to stop before its next step (at once if it is between steps). */
  readonly stop: () => void;
}

export const fitInBackground = (
  setup: {
    readonly config: TrainConfig; readonly plan: ThreadPlan;
    /** The network trained, and where the worker thread finds it (the same network). */
    readonly net: Layer<Tree>; readonly network: NetworkSource; readonly train: Images; readonly test: Images; readonly stopAtEpoch: number | null },
  start: RunState<Tree>,
  events: BackgroundEvents,
): BackgroundRun => {
  const layouts = layoutsFor(setup.net, setup.config);
  const stopFlag = new SharedArrayBuffer(4);
  const init: TrainWorkerInit = {
    config: setup.config, network: setup.network, plan: setup.plan, train: setup.train, test: setup.test,
    start: packState(start, layouts), stopAtEpoch: setup.stopAtEpoch ?? 0, stop: stopFlag,
  };
  const worker = spawnWorker(import.meta.url, 'train-worker', init, setup.network.kind === 'module' && /\.[cm]?ts$/.test(setup.network.url));
  const result = new Promise<{ readonly fit: FitResult<Tree>; readonly robustness: RobustnessReport | null }>((resolve, reject) => {
    let queue = Promise.resolve();
    let ended = false;
    const fail = (err: unknown): void => {
      ended = true;
      void worker.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    worker.on('message', (m: TrainWorkerMessage) => {
      queue = queue.then(async () => {
        if (ended) return;
        if (m.kind === 'step') events.onStep?.(m);
        else if (m.kind === 'epoch') await events.onEpoch?.({ metrics: m.metrics, state: unpackState(m.state, layouts), evaluation: m.evaluation });
        else if (m.kind === 'robustness') events.onRobustness?.();
        else {
          ended = true;
          await worker.terminate();
          const state = unpackState(m.state, layouts);
          const fit: FitResult<Tree> = m.status === 'finished' ? { status: 'finished', state, evaluation: m.evaluation! }
            : m.status === 'stopped' ? { status: 'stopped', state }
              : { status: 'diverged', state, reason: m.reason };
          resolve({ fit, robustness: m.robustness });
        }
      }).catch(fail);
    });
    worker.on('error', (e: Error) => fail(new Error(`the training worker failed: ${e.message.split('\n')[0]}`)));
    // Messages arrive before 'exit'; a worker that ends without its 'end' message failed.
    worker.on('exit', (code: number) => {
      queue = queue.then(() => {
        if (!ended) fail(new Error(`the training worker exited (code ${code}) before the run ended`));
      });
    });
  });
  return { result, stop: () => Atomics.store(new Int32Array(stopFlag), 0, 1) };
};
