// Checkpoints: safetensors files holding the parameters ("params.<layer>.<name>")
// and the optimizer state ("opt.<...>") as float32 tensors, with the
// network's description (as the library's parameter files have it,
// formats/params.ts) and everything else a resume needs (config, epoch, step,
// running sums, history) in __metadata__. Loading refuses another network's
// checkpoint, naming the first difference, and checks every tensor against
// the network's own shapes.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../../core/result.ts';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { key } from '../../core/random.ts';
import type { Tensor } from '../../core/tensor.ts';
import { fromLeaves, leaves, MNIST_SHAPE, type Layer, type SeedParams, type Tree } from '../../graph/index.ts';
import { decodeSafetensors, encodeSafetensors, expectTensors } from '../../formats/safetensors.ts';
import { checkNetwork, describedIn, describeNetwork, paramsMetadata, paramTensorName } from '../../formats/params.ts';
import { IntAtLeast, NonNegativeNumber, TrainConfigCodec } from './codecs.ts';
import { MAX_EPOCHS, type TrainConfig } from './config.ts';
import type { RunState } from '../../training/loop.ts';
import { networkFor, optimizerFor } from './recipe.ts';

import { FORMAT, soundTensors } from './weights.ts';

export { FORMAT };

const Metrics = t.type({
  epoch: IntAtLeast(0), lr: NonNegativeNumber, trainLoss: NonNegativeNumber, trainAccuracy: NonNegativeNumber,
  testLoss: NonNegativeNumber, testAccuracy: NonNegativeNumber, seconds: NonNegativeNumber, imagesPerSecond: NonNegativeNumber,
});

// Non-finite numbers are refused both ways: JSON would turn them into null.
const Meta = t.type({
  format: t.literal(FORMAT),
  config: TrainConfigCodec,
  epoch: IntAtLeast(0),
  step: IntAtLeast(0),
  lossSum: NonNegativeNumber,
  correct: IntAtLeast(0),
  seconds: NonNegativeNumber,
  history: t.array(Metrics),
});
type Meta = t.TypeOf<typeof Meta>;

const JSON_FIELDS = ['config', 'history', 'epoch', 'step', 'lossSum', 'correct', 'seconds'] as const;

const firstError = (errs: t.Errors): string => {
  const e = errs[0];
  if (e === undefined) return 'checkpoint metadata is invalid';
  const at = e.context.map((c) => c.key).filter(Boolean).join('.');
  const value = typeof e.value === 'number' || e.value === null ? `, got ${String(e.value)}` : '';
  return `checkpoint metadata is invalid at ${at}${e.message === undefined ? '' : `: ${e.message}`}${value}`;
};

/** Where a run stands must fit its config and itself: a sane run length, finished epochs in the history, no step past the last epoch, no more right answers than images seen. */
const consistent = (m: Meta): Result<Meta> => {
  const bad = (why: string): Result<Meta> => E.left(why);
  if (m.config.epochs > MAX_EPOCHS) return bad(`checkpoint is of a ${m.config.epochs}-epoch run; at most ${MAX_EPOCHS} epochs are allowed`);
  if (m.epoch > m.config.epochs) return bad(`checkpoint is at epoch ${m.epoch} of a ${m.config.epochs}-epoch run`);
  if (m.history.length !== m.epoch) return bad(`checkpoint is at epoch ${m.epoch} but its history holds ${m.history.length} epochs`);
  if (m.epoch === m.config.epochs && m.step !== 0) return bad(`checkpoint is at step ${m.step} after the last epoch`);
  if (m.correct > m.step * m.config.batchSize) return bad(`checkpoint counts ${m.correct} right answers after ${m.step} steps of ${m.config.batchSize} images`);
  const wrong = m.history.findIndex((h, i) => h.epoch !== i || h.trainAccuracy > 1 || h.testAccuracy > 1);
  if (wrong >= 0) return bad(`checkpoint history entry ${wrong} is inconsistent (epoch ${m.history[wrong]!.epoch}, accuracies ${m.history[wrong]!.trainAccuracy} and ${m.history[wrong]!.testAccuracy})`);
  return E.right(m);
};


/** Float32 holds every whole number up to 2^24 exactly; a step count past it would no longer count. */
const MAX_EXACT_COUNT = 2 ** 24;

/** Adam's step count, if the optimizer has one. */
const stepCount = (opt: Tree): number | null => {
  const t = (opt as { readonly t?: Tensor }).t;
  return t === undefined ? null : t.data[0]!;
};

/**
 * Adam's step count must be a whole number of steps, at least those the
 * position implies (each finished epoch had one or more, the current one
 * `step`): a negative, fractional or huge count corrupts every later update
 * (a count of -1 divides by zero at once).
 */
const soundStepCount = (t: number | null, m: Meta): Result<void> =>
  t === null || (Number.isInteger(t) && t >= m.epoch + m.step && t <= MAX_EXACT_COUNT)
    ? E.right(undefined)
    : E.left(`Adam's step count opt.t is ${t}, not a whole number from ${m.epoch + m.step} (epoch ${m.epoch}, step ${m.step}) to ${MAX_EXACT_COUNT}`);

/**
 * Where a loaded run stands, checked against the data it resumes on, whose
 * epochs have `steps` steps (of `count` images): its step inside an epoch,
 * and Adam's step count equal to the steps taken.
 */
export const checkPosition = (state: RunState<Tree>, steps: number, count: number): Result<void> => {
  if (state.step > steps) return E.left(`the checkpoint is at step ${state.step} of epoch ${state.epoch}, but an epoch of these ${count} images has ${steps} steps`);
  const t = stepCount(state.opt);
  const taken = state.epoch * steps + state.step;
  return t === null || t === taken ? E.right(undefined)
    : E.left(`Adam's step count opt.t is ${t}, but epoch ${state.epoch}, step ${state.step} of ${steps}-step epochs make ${taken} steps`);
};

/** A training run that can resume: its config and where it stands. */
export interface Checkpoint<P extends Tree = SeedParams> {
  readonly config: TrainConfig;
  readonly state: RunState<P>;
}

/** The network a config trains when the run names none of its own: the seed network. */
const seedNetworkOf = <P extends Tree>(config: TrainConfig): Layer<P> => networkFor(config) as unknown as Layer<P>;

/**
 * The checkpoint's bytes, or why they could not be read back (a NaN loss,
 * say): such a file is never written. `net` is the network trained (by
 * default the config's, the seed network); its description goes in the
 * metadata.
 */
export const encodeCheckpoint = <P extends Tree = SeedParams>({ config, state }: Checkpoint<P>, net: Layer<P> = seedNetworkOf(config)): Result<Uint8Array> => {
  const { epoch, step, lossSum, correct, seconds, history } = state;
  return pipe(
    Meta.decode({ format: FORMAT, config, epoch, step, lossSum, correct, seconds, history }),
    E.mapLeft(firstError),
    E.chain(consistent),
    E.map((meta) => ({
      meta,
      tensors: [
        ...leaves(state.params).map(([p, x]) => [`params.${p}`, x] as const),
        ...leaves(state.opt).map(([p, x]) => [`opt.${p}`, x] as const),
      ],
    })),
    // What could not be read back is never written.
    E.chainFirst(({ tensors }) => soundTensors(new Map(tensors))),
    E.map(({ meta, tensors }) => {
      const text: Record<string, string> = paramsMetadata(describeNetwork(net, MNIST_SHAPE));
      for (const k of JSON_FIELDS) text[k] = JSON.stringify(meta[k]);
      return encodeSafetensors(tensors, text);
    }),
  );
};

const parseMeta = (m: Record<string, string>): Result<Meta> => {
  const raw: Record<string, unknown> = { ...m };
  for (const k of JSON_FIELDS) {
    const v = m[k];
    if (v === undefined) return E.left(`checkpoint metadata has no "${k}"`);
    try {
      raw[k] = JSON.parse(v);
    } catch {
      return E.left(`checkpoint metadata "${k}" is not valid JSON`);
    }
  }
  return pipe(Meta.decode(raw), E.mapLeft(firstError), E.chain(consistent));
};

/**
 * A checkpoint back from its bytes, of `net` (by default the network its
 * config names, the seed network). Fails when the file is not safetensors,
 * not this program's, of another network (naming the first difference), its
 * metadata is missing, invalid or inconsistent (a step past the run's end, a
 * history of the wrong length), or a tensor of the network or the optimizer
 * state is missing, extra or misshapen.
 */
export const decodeCheckpoint = <P extends Tree = SeedParams>(bytes: Uint8Array, net?: Layer<P>): Result<Checkpoint<P>> =>
  pipe(
    decodeSafetensors(bytes),
    E.chainFirst((file) => describedIn(file.metadata)),
    // A network given is checked first: a file of another network is that, whatever else it lacks.
    E.chainFirst((file): Result<unknown> => (net === undefined ? E.right(undefined) : checkNetwork(net, file.metadata, MNIST_SHAPE))),
    E.chain((file) => pipe(parseMeta(file.metadata), E.map((meta) => ({ file, meta })))),
    E.chain(({ file, meta }) => {
      const config: TrainConfig = meta.config;
      const network = net ?? seedNetworkOf<P>(config);
      return pipe(checkNetwork(network, file.metadata, MNIST_SHAPE), E.map(() => ({ file, meta, config, network })));
    }),
    E.chain(({ file, meta, config, network }) => {
      const template = network.init(key(0), MNIST_SHAPE);
      const optTemplate: Tree = optimizerFor(config).init(template);
      const expected = [
        ...leaves(template).map(([p, x]) => [paramTensorName(p), x.shape] as const),
        ...leaves(optTemplate).map(([p, x]) => [`opt.${p}`, x.shape] as const),
      ];
      return pipe(
        expectTensors(file.tensors, expected),
        E.chainFirst(() => soundTensors(file.tensors)),
        E.chainFirst(() => soundStepCount(file.tensors.get('opt.t')?.data[0] ?? null, meta)),
        E.map(() => {
          const get = (name: string): Tensor => file.tensors.get(name)!;
          const state: RunState<P> = {
            params: fromLeaves(template, (p) => get(paramTensorName(p))),
            opt: fromLeaves(optTemplate, (p) => get(`opt.${p}`)),
            epoch: meta.epoch,
            step: meta.step,
            lossSum: meta.lossSum,
            correct: meta.correct,
            seconds: meta.seconds,
            history: meta.history,
          };
          return { config, state };
        }),
      );
    }),
  );
