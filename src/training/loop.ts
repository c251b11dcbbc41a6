// The one training loop, used by the CLI, the page's worker and library
// users: epochs of steps under a schedule, evaluation at each epoch's end,
// the per-epoch history, and stop and resume at any step. Each step takes the
// run state and returns a new one (new parameters, new optimizer state,
// running sums), so a state the loop stopped at resumes exactly. What is
// not the loop's (files, signals, messages) comes in through the events.

import { aFunction, ArgumentError, describeValue, imagesArg, kernelSet, layerArg, nonNegativeInt, optionsBag, positiveInt } from '../core/check.ts';
import { foldIn, key, permutation, type Key } from '../core/random.ts';
import type { Augment } from './augment.ts';
import { leaves, type Layer, type Optimizer, type Schedule, type Tree } from '../graph/index.ts';
import type { Kernels } from '../ops/kernels/index.ts';
import { makeBatch, type Images } from './batches.ts';
import { evaluateAsync, type Evaluation } from './evaluate.ts';
import { eagerSource, type Source } from './source.ts';

/** One line of the history: the training figures of an epoch and the test figures at its end. */
export interface EpochMetrics {
  /** The epoch's index, from 0. */
  readonly epoch: number;
  /** The rate of the epoch's last step. */
  readonly lr: number;
  /** The mean training loss over the epoch's examples, each counted with the parameters of its step. */
  readonly trainLoss: number;
  /** The fraction (0 to 1) of the epoch's training examples predicted right at their step. */
  readonly trainAccuracy: number;
  /** The test set's mean loss at the epoch's end. */
  readonly testLoss: number;
  /** The test set's accuracy (0 to 1) at the epoch's end. */
  readonly testAccuracy: number;
  /** Seconds spent training in the epoch (evaluation excluded), across interruptions. */
  readonly seconds: number;
  /** Training images per second of those seconds. */
  readonly imagesPerSecond: number;
}

/** Where a run stands: everything a resume needs besides the config and the data. */
export interface RunState<P extends Tree, S extends Tree = Tree> {
  readonly params: P;
  /** The optimizer's state, as its `step` returned it. */
  readonly opt: S;
  /** The epoch in progress (0-based). */
  readonly epoch: number;
  /** Steps already taken in this epoch. */
  readonly step: number;
  /** The sum over the epoch's examples so far of their training loss. */
  readonly lossSum: number;
  /** Training predictions right so far in this epoch. */
  readonly correct: number;
  /** Seconds spent training in this epoch, across interruptions. */
  readonly seconds: number;
  /** One entry per finished epoch. */
  readonly history: readonly EpochMetrics[];
}

/** The state a run starts from: these parameters, fresh optimizer state, epoch 0 step 0. */
export const initialState = <P extends Tree, S extends Tree>(params: P, optimizer: Optimizer<S>): RunState<P, S> => ({
  params, opt: optimizer.init(params), epoch: 0, step: 0, lossSum: 0, correct: 0, seconds: 0, history: [],
});

/**
 * What computes {@link fit}'s steps and evaluations: a {@link Source}
 * (compiled, on workers, ...), or the kernel set of the default one, the
 * eager ops of `net` (`eagerSource(net, { kernels })`).
 */
export type FitComputation<P extends Tree> =
  | { readonly source: Source<P>; readonly kernels?: never }
  | { readonly kernels: Kernels; readonly source?: never };

/** What {@link fit} trains, how, on what. */
export type FitSetup<P extends Tree, S extends Tree = Tree> = FitComputation<P> & FitPlan<P, S>;

/** What {@link fit} trains and on what, besides how it is computed. */
export interface FitPlan<P extends Tree, S extends Tree = Tree> {
  /** The network trained (evaluated at each epoch's end through the source's `predict`). */
  readonly net: Layer<P>;
  readonly optimizer: Optimizer<S>;
  /** The learning rate as a function of the fractional epoch (epoch + step / steps). */
  readonly schedule: Schedule;
  /** Epochs of the whole run (a resumed run keeps its count). */
  readonly epochs: number;
  /** Examples per step; an epoch's last batch may be smaller. */
  readonly batchSize: number;
  /** Each epoch in an order drawn from (seed, epoch), or file order. */
  readonly shuffle: boolean;
  /** Fixes the shuffle of every epoch. */
  readonly seed: number;
  /** The training set. */
  readonly train: Images;
  /** Evaluated at every epoch's end. */
  readonly test: Images;
  /** Transforms each training batch (augmentation), with a key drawn from (seed, epoch, step); none by default. */
  readonly augment?: Augment;
}

/** How a caller of {@link fit} follows and stops a run; each is optional. */
export interface FitEvents<P extends Tree, S extends Tree = Tree> {
  /** Asked before every step (and at an epoch's start); true stops the run there, resumable. */
  readonly shouldStop?: (s: RunState<P, S>) => boolean;
  /** After every step, with the new state and the steps per epoch. */
  readonly onStep?: (s: RunState<P, S>, steps: number) => void;
  /** After every epoch's evaluation, with the state at the next epoch's start; awaited (save a checkpoint here). */
  readonly onEpoch?: (end: { readonly metrics: EpochMetrics; readonly state: RunState<P, S>; readonly evaluation: Evaluation }) => void | Promise<void>;
}

/** How {@link fit} ended: `finished`, `stopped` or `diverged`, with the state to keep or resume from. */
export type FitResult<P extends Tree, S extends Tree = Tree> =
  /** All epochs done; `evaluation` is the test set's at the end. */
  | { readonly status: 'finished'; readonly state: RunState<P, S>; readonly evaluation: Evaluation }
  /** shouldStop said so: `state` resumes exactly. */
  | { readonly status: 'stopped'; readonly state: RunState<P, S> }
  /**
   * A loss became NaN or infinite: `state` is the last one whose parameters
   * gave a finite loss (the state before the step that made the bad ones).
   * Also when the schedule gives a rate that is not a finite number: `state`
   * is then the one that step would have started from.
   */
  | { readonly status: 'diverged'; readonly state: RunState<P, S>; readonly reason: string };

/** ceil(count / batchSize): the last batch of an epoch takes what is left. */
export const stepsPerEpoch = (count: number, batchSize: number): number => Math.ceil(count / batchSize);

/** The key of step `step`'s augmentation in epoch `epoch`: a function of the run's seed and the position alone. */
export const augmentKey = (seed: number, epoch: number, step: number): Key => foldIn(foldIn(foldIn(key(seed), 0x61756721), epoch), step);

/** The order of the examples in an epoch: file order, or a permutation fixed by (seed, epoch). */
export const epochOrder = (count: number, shuffle: boolean, seed: number, epoch: number): Uint32Array | null =>
  shuffle ? permutation(foldIn(key(seed), epoch), count) : null;

const finite = (t: Tree): boolean => leaves(t).every(([, x]) => x.data.every(Number.isFinite));

/** A parameter or optimizer value that turned non-finite while the loss stayed finite (ReLU hides a NaN): the run diverged, back to the epoch's start. */
const unsound = <P extends Tree, S extends Tree>(s: RunState<P, S>, epochStart: RunState<P, S>): FitResult<P, S> | null =>
  finite(s.params) && finite(s.opt)
    ? null
    : { status: 'diverged', state: epochStart, reason: `a parameter or optimizer value became NaN or infinite during epoch ${s.epoch}` };

// Let timers, messages and signal handlers run now and then during a long epoch.
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * What {@link fit} checks before it starts: each field of the setup, the
 * start state and the events, with one clear error naming the first that is
 * wrong (an empty training or test set, a batch size that is not a positive
 * integer, no kernel set and no source, ...).
 */
const checkFit = (setup: unknown, start: unknown, events: unknown): void => {
  const s = optionsBag('fit', 'setup', setup, '{ net, optimizer, schedule, epochs, batchSize, shuffle, seed, train, test, kernels or source }');
  layerArg('fit', 'setup.net', s['net']);
  const optimizer = optionsBag('fit', 'setup.optimizer', s['optimizer'], 'an optimizer, as adam() makes');
  aFunction('fit', 'setup.optimizer.init', optimizer['init']);
  aFunction('fit', 'setup.optimizer.step', optimizer['step']);
  aFunction('fit', 'setup.schedule', s['schedule']);
  positiveInt('fit', 'epochs', s['epochs']);
  positiveInt('fit', 'batchSize', s['batchSize']);
  if (typeof s['shuffle'] !== 'boolean') throw new ArgumentError(`fit: shuffle must be true or false, got ${describeValue(s['shuffle'])}`);
  if (!Number.isSafeInteger(s['seed'])) throw new ArgumentError(`fit: seed must be an integer, got ${describeValue(s['seed'])}`);
  imagesArg('fit', 'train', s['train'], 'the training set');
  imagesArg('fit', 'test', s['test'], 'the test set');
  if (s['augment'] !== undefined) aFunction('fit', 'augment', s['augment']);
  if (s['source'] === undefined) kernelSet('fit', 'setup.kernels (or a setup.source)', s['kernels']);
  else {
    if (s['kernels'] !== undefined) throw new ArgumentError('fit: give setup.kernels or setup.source, not both (a source has its own kernel set)');
    const source = optionsBag('fit', 'setup.source', s['source'], 'a Source, as eagerSource or compiledSource make');
    aFunction('fit', 'setup.source.step', source['step']);
    aFunction('fit', 'setup.source.predict', source['predict']);
  }
  const st = optionsBag('fit', 'start', start, 'a RunState, as initialState(params, optimizer) makes');
  optionsBag('fit', 'start.params', st['params'], 'the parameter record');
  nonNegativeInt('fit', 'start.epoch', st['epoch']);
  nonNegativeInt('fit', 'start.step', st['step']);
  optionsBag('fit', 'events', events, '{ shouldStop?, onStep?, onEpoch? }');
};

/**
 * Trains from `start` until the last epoch, a stop or a divergence. Wrong
 * arguments (an empty training or test set, a batch size that is not a
 * positive integer, a missing kernel set) are an `ArgumentError` naming
 * the field, before anything runs. The same
 * (setup, start) gives the same result whether or not the run stopped and
 * resumed on the way.
 *
 * @example
 * const net = seedNetwork({ init: 'he' });
 * const optimizer = adam();
 * const params = net.init(key(0), MNIST_SHAPE);
 * const r = await fit(
 *   { net, optimizer, schedule: constant(1e-3), epochs: 1, batchSize: 64, shuffle: true, seed: 0, kernels, train, test },
 *   initialState(params, optimizer),
 *   { onEpoch: ({ metrics }) => console.log(metrics.testAccuracy) },
 * );
 * // The same run compiled (the same figures, sooner): give a source instead of the kernels.
 * await fit({ net, optimizer, source: compiledSource(compile(net)), schedule: constant(1e-3), epochs: 1, batchSize: 64, shuffle: true, seed: 0, train, test }, initialState(params, optimizer));
 */
export const fit = async <P extends Tree, S extends Tree>(setup: FitSetup<P, S>, start: RunState<P, S>, events: FitEvents<P, S> = {}): Promise<FitResult<P, S>> => {
  // An empty set has no loss or accuracy to report: refused here, rather than read as a divergence.
  checkFit(setup, start, events);
  const { net, optimizer, schedule, batchSize, train, test } = setup;
  const source = setup.source !== undefined ? setup.source : eagerSource(net, { kernels: setup.kernels });
  const evalOptions = { kernels: source.kernels, predict: source.predict };
  const steps = stepsPerEpoch(train.count, batchSize);
  const stop = events.shouldStop ?? (() => false);
  let s = start;
  let lastYield = performance.now();
  while (s.epoch < setup.epochs) {
    const order = epochOrder(train.count, setup.shuffle, setup.seed, s.epoch);
    const t0 = performance.now();
    const epochStart = s;
    // The state whose parameters gave the last finite loss.
    let good = s;
    while (s.step < steps) {
      if (stop(s)) return unsound(s, epochStart) ?? { status: 'stopped', state: s };
      const from = s.step * batchSize;
      const to = Math.min(train.count, from + batchSize);
      const batch = makeBatch(train, order, from, to);
      const x = setup.augment === undefined ? batch.x : setup.augment(augmentKey(setup.seed, s.epoch, s.step), batch.x);
      const lr = schedule(s.epoch + s.step / steps);
      // A rate that is not a finite float32 number would make every parameter NaN: the run stops here, its state still sound.
      if (typeof lr !== 'number' || !Number.isFinite(Math.fround(lr))) {
        return { status: 'diverged', state: s, reason: `the schedule gave a learning rate of ${describeValue(lr)} at epoch ${s.epoch} step ${s.step}` };
      }
      const r = await source.step(optimizer, s.params, s.opt, x, batch.labels, lr);
      if (!Number.isFinite(r.loss)) {
        return { status: 'diverged', state: good, reason: `loss is ${r.loss} at epoch ${s.epoch} step ${s.step}` };
      }
      good = s;
      const next = r;
      const now = performance.now();
      s = {
        ...s,
        params: next.params,
        opt: next.state,
        step: s.step + 1,
        lossSum: s.lossSum + r.loss * (to - from),
        correct: s.correct + r.correct,
        seconds: epochStart.seconds + (now - t0) / 1000,
      };
      events.onStep?.(s, steps);
      if (now - lastYield > 100) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    const bad = unsound(s, epochStart);
    if (bad !== null) return bad;
    const evaluation = await evaluateAsync(net, s.params, test, evalOptions);
    if (!Number.isFinite(evaluation.loss)) {
      return { status: 'diverged', state: good, reason: `test loss is ${evaluation.loss} at the end of epoch ${s.epoch}` };
    }
    const metrics: EpochMetrics = {
      epoch: s.epoch,
      lr: schedule(s.epoch + (steps - 1) / steps),
      trainLoss: s.lossSum / train.count,
      trainAccuracy: s.correct / train.count,
      testLoss: evaluation.loss,
      testAccuracy: evaluation.accuracy,
      seconds: s.seconds,
      imagesPerSecond: s.seconds > 0 ? train.count / s.seconds : 0,
    };
    s = { ...s, epoch: s.epoch + 1, step: 0, lossSum: 0, correct: 0, seconds: 0, history: [...s.history, metrics] };
    await events.onEpoch?.({ metrics, state: s, evaluation });
    if (s.epoch >= setup.epochs) return { status: 'finished', state: s, evaluation };
    await yieldToEventLoop();
  }
  return { status: 'finished', state: s, evaluation: await evaluateAsync(net, s.params, test, evalOptions) };
};
