// The training loop over one epoch, as a fold over steps: every step takes
// the run state and returns a new one (new parameters, new optimizer state,
// running sums). It stops early when asked, between two steps, so that the
// state it returns can be checkpointed and resumed exactly.

import { foldIn, key, permutation } from '../core/random.ts';
import type { Optimizer, Schedule, Tree } from '../graph/index.ts';
import { makeBatch, type Images } from './batches.ts';
import type { GradientSource } from './gradients.ts';

export interface EpochMetrics {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface RunState<P extends Tree> {
  readonly params: P;
  readonly opt: Tree;
  /** The epoch in progress (0-based). */
  readonly epoch: number;
  /** Steps already taken in this epoch. */
  readonly step: number;
  readonly lossSum: number;
  readonly correct: number;
  /** Seconds spent training in this epoch, across interruptions. */
  readonly seconds: number;
  readonly history: readonly EpochMetrics[];
}

export interface LoopSetup<P extends Tree> {
  readonly gradients: GradientSource<P>;
  readonly optimizer: Optimizer<Tree>;
  readonly schedule: Schedule;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
}

export const stepsPerEpoch = (count: number, batchSize: number): number => Math.ceil(count / batchSize);

/** The order of the examples in an epoch: file order, or a permutation fixed by (seed, epoch). */
export const epochOrder = (count: number, shuffle: boolean, seed: number, epoch: number): Uint32Array | null =>
  shuffle ? permutation(foldIn(key(seed), epoch), count) : null;

// Let timers and signal handlers (Ctrl-C) run now and then during a long epoch.
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export const runEpoch = async <P extends Tree>(
  setup: LoopSetup<P>,
  data: Images,
  start: RunState<P>,
  hooks: { readonly shouldStop: (s: RunState<P>) => boolean; readonly onStep?: (s: RunState<P>, steps: number) => void },
): Promise<RunState<P>> => {
  const { gradients, optimizer, schedule, batchSize } = setup;
  const steps = stepsPerEpoch(data.count, batchSize);
  const order = epochOrder(data.count, setup.shuffle, setup.seed, start.epoch);
  const t0 = performance.now();
  let lastYield = t0;
  let s = start;
  while (s.step < steps && !hooks.shouldStop(s)) {
    const from = s.step * batchSize;
    const to = Math.min(data.count, from + batchSize);
    const batch = makeBatch(data, order, from, to);
    const r = await gradients.grad(s.params, batch.x, batch.labels);
    const lr = schedule(s.epoch + s.step / steps);
    const next = optimizer.step(s.params, r.grads, s.opt, lr);
    const now = performance.now();
    s = {
      ...s,
      params: next.params,
      opt: next.state,
      step: s.step + 1,
      lossSum: s.lossSum + r.loss * (to - from),
      correct: s.correct + r.correct,
      seconds: start.seconds + (now - t0) / 1000,
    };
    hooks.onStep?.(s, steps);
    if (now - lastYield > 100) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  return s;
};
