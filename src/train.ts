// The training program: `tsx src/train.ts [train|evaluate|predict] [flags]`.
// Everything fallible (flags, data files, checkpoints, writes) ends in one
// clear line on stderr and exit code 2; Ctrl-C saves a checkpoint and stops.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { formatTable, MNIST_SHAPE, summarize } from './graph/index.ts';
import { key } from './core/random.ts';
import { parseCommand, usage, type Command, type TrainConfig } from './cli/config.ts';
import { kernelsByName } from './cli/kernels.ts';
import { progressBar } from './cli/progress.ts';
import { defaultMnistDir, loadMnist } from './data/mnist.ts';
import { formatDataError } from './data/idx.ts';
import { readFileBytes, writeFileAtomic } from './node/atomic-write.ts';
import { take } from './train/batches.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './train/checkpoint.ts';
import { evaluate } from './train/evaluate.ts';
import { runEpoch, stepsPerEpoch, type EpochMetrics, type RunState } from './train/loop.ts';
import { networkFor, optimizerFor, scheduleFor } from './train/recipe.ts';
import { formatConfusion, writeReports } from './train/report.ts';
import { predictFiles } from './train/predict.ts';
import { localGradients } from './train/gradients.ts';
import { parallelGradients } from './node/data-parallel.ts';
import type { SeedParams } from './graph/index.ts';

class Fatal extends Error {}

const fail = (message: string): never => {
  throw new Fatal(message);
};

const orFail = <A>(e: E.Either<string, A>): A => (E.isLeft(e) ? fail(e.left) : e.right);

const loadCheckpoint = async (path: string): Promise<Checkpoint> => {
  const bytes = orFail(await readFileBytes(path)());
  const c = decodeCheckpoint(bytes);
  return E.isLeft(c) ? fail(`${path}: ${c.left}`) : c.right;
};

const loadData = async (dir: string | null) => {
  const path = dir ?? defaultMnistDir();
  const d = await loadMnist(path)();
  if (E.isLeft(d)) return fail(formatDataError(d.left));
  const { rows, cols } = d.right.train;
  if (rows !== 28 || cols !== 28 || d.right.test.rows !== 28 || d.right.test.cols !== 28) {
    fail(`${path}: images are ${rows}x${cols}; this network takes 28x28`);
  }
  return d.right;
};

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

const timestamp = (): string => new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);

const describeConfig = (c: TrainConfig): string =>
  `preset ${c.preset}: ${c.epochs} epochs, batch ${c.batchSize}, ${c.optimizer} (peak lr ${c.lr}), ${c.init} init, ` +
  `${c.shuffle ? `shuffled (seed ${c.seed})` : 'file order'}, kernels ${c.kernels}, ` +
  (c.batchSize > 1 ? `threads ${c.threads}` : 'one thread (batch 1)') +
  (c.trainLimit !== null ? `, first ${c.trainLimit} training images` : '') +
  (c.testLimit !== null ? `, first ${c.testLimit} test images` : '');

const train = async (cmd: Extract<Command, { kind: 'train' }>): Promise<number> => {
  let config = cmd.config;
  let state: RunState<SeedParams> | null = null;
  let dir: string;
  if (cmd.resume !== null) {
    const ck = await loadCheckpoint(cmd.resume);
    const allowed = ['epochs', 'threads', 'kernels', 'out', 'resume', 'data-dir', 'stop-after'];
    const stray = cmd.given.find((g) => !allowed.includes(g));
    if (stray !== undefined) fail(`--${stray} cannot change when resuming (the run keeps its own config)`);
    config = { ...ck.config, epochs: cmd.given.includes('epochs') ? cmd.config.epochs : ck.config.epochs, threads: cmd.config.threads, kernels: cmd.config.kernels };
    state = ck.state;
    dir = cmd.out ?? dirname(cmd.resume);
  } else {
    dir = cmd.out ?? join('runs', timestamp());
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      fail(`${dir} already holds files; choose another --out, or continue that run with --resume ${join(dir, 'checkpoint.safetensors')}`);
    }
  }
  const data = await loadData(cmd.dataDir);
  const trainSet = take(data.train, config.trainLimit);
  const testSet = take(data.test, config.testLimit);
  const steps = stepsPerEpoch(trainSet.count, config.batchSize);
  if (state !== null && state.step > steps) {
    fail(`${cmd.resume}: the checkpoint is at step ${state.step} of epoch ${state.epoch}, but an epoch of these ${trainSet.count} images has ${steps} steps (another --data-dir?)`);
  }
  mkdirSync(dir, { recursive: true });

  const net = networkFor(config);
  const kernels = kernelsByName(config.kernels);
  const template = net.init(key(config.seed), MNIST_SHAPE);
  const gradients =
    config.threads > 1 && config.batchSize > 1
      ? parallelGradients(template, { init: config.init, kernels: config.kernels }, config.threads)
      : localGradients(net, kernels);
  const setup = {
    gradients,
    optimizer: optimizerFor(config, kernels),
    schedule: scheduleFor(config),
    batchSize: config.batchSize,
    shuffle: config.shuffle,
    seed: config.seed,
  };
  if (state === null) {
    const params = template;
    state = { params, opt: setup.optimizer.init(params), epoch: 0, step: 0, lossSum: 0, correct: 0, seconds: 0, history: [] };
  }
  console.log(formatTable(summarize(net, MNIST_SHAPE), MNIST_SHAPE));
  console.log(describeConfig(config));
  console.log(`data: ${trainSet.count} training and ${testSet.count} test images; run directory ${dir}`);
  if (cmd.resume !== null) console.log(`resuming at epoch ${state.epoch}, step ${state.step}`);

  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) console.error('\nstill finishing the step and saving the checkpoint...');
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  const ckPath = join(dir, 'checkpoint.safetensors');
  const save = async (s: RunState<SeedParams>): Promise<void> => {
    const bytes = orFail(E.mapLeft((why) => `cannot save the checkpoint: ${why}`)(encodeCheckpoint({ config, state: s })));
    orFail(await writeFileAtomic(ckPath, bytes)());
  };
  const diverged = (what: string, value: number, where: string): never =>
    fail(`training diverged: ${what} is ${value} at ${where}; last good checkpoint kept at ${ckPath}`);
  const bar = progressBar(process.stdout);
  const started = performance.now();
  let last = null as ReturnType<typeof evaluate> | null;
  try {
    while (state.epoch < config.epochs) {
      const before = state.step;
      const epochStart = state;
      state = await runEpoch(setup, trainSet, state, {
        // A non-finite loss stops the epoch; that state is never saved.
        shouldStop: (s) => interrupted || !Number.isFinite(s.lossSum),
        onStep: (s) => bar.update(`epoch ${s.epoch}`, s.step, steps, (s.step - before) * config.batchSize, s.seconds - epochStart.seconds),
      });
      bar.clear();
      if (!Number.isFinite(state.lossSum)) diverged('loss', state.lossSum, `epoch ${state.epoch} step ${state.step - 1}`);
      if (interrupted) {
        await save(state);
        console.log(`interrupted at epoch ${state.epoch}, step ${state.step}: checkpoint saved to ${ckPath}`);
        console.log(`resume with: tsx src/train.ts --resume ${ckPath}`);
        return 130;
      }
      last = evaluate(net, state.params, testSet, kernels);
      if (!Number.isFinite(last.loss)) diverged('test loss', last.loss, `the end of epoch ${state.epoch}`);
      // The rate of the epoch's last step (the seed schedule is constant within an epoch).
      const lr = setup.schedule(state.epoch + (steps - 1) / steps);
      const m: EpochMetrics = {
        epoch: state.epoch,
        lr,
        trainLoss: state.lossSum / trainSet.count,
        trainAccuracy: state.correct / trainSet.count,
        testLoss: last.loss,
        testAccuracy: last.accuracy,
        seconds: state.seconds,
        imagesPerSecond: state.seconds > 0 ? trainSet.count / state.seconds : 0,
      };
      console.log(
        `epoch ${m.epoch}  lr ${m.lr.toExponential(3)}  train loss ${m.trainLoss.toFixed(4)}  train acc ${pct(m.trainAccuracy)}  ` +
          `test loss ${m.testLoss.toFixed(4)}  test acc ${pct(m.testAccuracy)}  ${m.seconds.toFixed(1)} s  ${m.imagesPerSecond.toFixed(0)} img/s`,
      );
      state = { ...state, epoch: state.epoch + 1, step: 0, lossSum: 0, correct: 0, seconds: 0, history: [...state.history, m] };
      await save(state);
      orFail(await writeReports(dir, state.history, testSet, last)());
      if (cmd.stopAfter !== null && state.epoch >= cmd.stopAfter && state.epoch < config.epochs) {
        console.log(`stopped after epoch ${state.epoch - 1} as asked; resume with: tsx src/train.ts --resume ${ckPath}`);
        return 0;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    await gradients.close();
  }
  last ??= evaluate(net, state.params, testSet, kernels);
  console.log(`\nfinal test accuracy ${pct(last.accuracy)} (loss ${last.loss.toFixed(4)}) on ${testSet.count} images`);
  console.log(formatConfusion(last.confusion));
  console.log(`total time ${((performance.now() - started) / 1000).toFixed(1)} s; files in ${dir}: ${basename(ckPath)}, metrics.json, metrics.csv, accuracy.svg, loss.svg, predictions.png, confusion.png, confusion.svg`);
  return 0;
};

const evaluateCommand = async (cmd: Extract<Command, { kind: 'evaluate' }>): Promise<number> => {
  const ck = await loadCheckpoint(cmd.checkpoint);
  const data = await loadData(cmd.dataDir);
  const test = take(data.test, cmd.testLimit);
  const r = evaluate(networkFor(ck.config), ck.state.params, test, kernelsByName(cmd.kernels));
  console.log(`checkpoint ${cmd.checkpoint} (epoch ${ck.state.history.length}): test accuracy ${pct(r.accuracy)}, loss ${r.loss.toFixed(4)} on ${test.count} images`);
  console.log(formatConfusion(r.confusion));
  return 0;
};

const predictCommand = async (cmd: Extract<Command, { kind: 'predict' }>): Promise<number> => {
  const ck = await loadCheckpoint(cmd.checkpoint);
  const lines = orFail(await predictFiles(networkFor(ck.config), ck.state.params, cmd.images, cmd.saveInput, kernelsByName(cmd.kernels))());
  for (const l of lines) console.log(l);
  return 0;
};

const main = async (): Promise<number> => {
  const parsed = parseCommand(process.argv.slice(2), availableParallelism());
  if (E.isLeft(parsed)) {
    console.error(`error: ${parsed.left}`);
    console.error('run with --help for usage');
    return 2;
  }
  const cmd = parsed.right;
  try {
    switch (cmd.kind) {
      case 'help':
        process.stdout.write(usage);
        return 0;
      case 'train':
        return await train(cmd);
      case 'evaluate':
        return await evaluateCommand(cmd);
      case 'predict':
        return await predictCommand(cmd);
    }
  } catch (err) {
    if (err instanceof Fatal) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }
};

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
