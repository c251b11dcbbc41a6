// Checkpoints: safetensors files holding the parameters ("params.<layer>.<name>")
// and the optimizer state ("opt.<...>") as float32 tensors, with everything
// else a resume needs (config, epoch, step, running sums, history) in
// __metadata__. Loading checks every tensor against the network's own shapes.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { key } from '../core/random.ts';
import type { Tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, MNIST_SHAPE, type SeedParams, type Tree } from '../graph/index.ts';
import { decodeSafetensors, encodeSafetensors, expectTensors } from '../io/safetensors.ts';
import { TrainConfigCodec, type TrainConfig } from '../cli/config.ts';
import type { EpochMetrics, RunState } from './loop.ts';
import { ARCHITECTURE, networkFor, optimizerFor } from './recipe.ts';

export const FORMAT = 'mnist-cnn-ts/1';

const Metrics = t.type({
  epoch: t.number, lr: t.number, trainLoss: t.number, trainAccuracy: t.number,
  testLoss: t.number, testAccuracy: t.number, seconds: t.number, imagesPerSecond: t.number,
});

const Meta = t.type({
  format: t.literal(FORMAT),
  architecture: t.literal(ARCHITECTURE),
  config: TrainConfigCodec,
  epoch: t.number,
  step: t.number,
  lossSum: t.number,
  correct: t.number,
  seconds: t.number,
  history: t.array(Metrics),
});

export interface Checkpoint {
  readonly config: TrainConfig;
  readonly state: RunState<SeedParams>;
}

export const encodeCheckpoint = ({ config, state }: Checkpoint): Uint8Array => {
  const tensors: Array<readonly [string, Tensor]> = [
    ...leaves(state.params).map(([p, x]) => [`params.${p}`, x] as const),
    ...leaves(state.opt).map(([p, x]) => [`opt.${p}`, x] as const),
  ];
  const meta: Record<string, string> = {
    format: FORMAT,
    architecture: ARCHITECTURE,
    config: JSON.stringify(config),
    epoch: String(state.epoch),
    step: String(state.step),
    lossSum: String(state.lossSum),
    correct: String(state.correct),
    seconds: String(state.seconds),
    history: JSON.stringify(state.history),
  };
  return encodeSafetensors(tensors, meta);
};

const parseMeta = (m: Record<string, string>): E.Either<string, t.TypeOf<typeof Meta>> => {
  const raw: Record<string, unknown> = { ...m };
  for (const k of ['config', 'history', 'epoch', 'step', 'lossSum', 'correct', 'seconds']) {
    const v = m[k];
    if (v === undefined) return E.left(`checkpoint metadata has no "${k}"`);
    try {
      raw[k] = JSON.parse(v);
    } catch {
      return E.left(`checkpoint metadata "${k}" is not valid JSON`);
    }
  }
  if (m.format !== FORMAT) return E.left(`not a checkpoint of this program (format ${JSON.stringify(m.format ?? null)}, expected "${FORMAT}")`);
  if (m.architecture !== ARCHITECTURE) return E.left(`checkpoint architecture ${JSON.stringify(m.architecture ?? null)} is not "${ARCHITECTURE}"`);
  return pipe(
    Meta.decode(raw),
    E.mapLeft((errs) => `checkpoint metadata is invalid at ${errs[0]?.context.map((c) => c.key).filter(Boolean).join('.') ?? '?'}`),
  );
};

export const decodeCheckpoint = (bytes: Uint8Array): E.Either<string, Checkpoint> =>
  pipe(
    decodeSafetensors(bytes),
    E.chain((file) => pipe(parseMeta(file.metadata), E.map((meta) => ({ file, meta })))),
    E.chain(({ file, meta }) => {
      const config = meta.config as TrainConfig;
      const template = networkFor(config).init(key(0), MNIST_SHAPE);
      const optTemplate: Tree = optimizerFor(config).init(template);
      const expected = [
        ...leaves(template).map(([p, x]) => [`params.${p}`, x.shape] as const),
        ...leaves(optTemplate).map(([p, x]) => [`opt.${p}`, x.shape] as const),
      ];
      return pipe(
        expectTensors(file.tensors, expected),
        E.map(() => {
          const get = (name: string): Tensor => file.tensors.get(name)!;
          const state: RunState<SeedParams> = {
            params: fromLeaves(template, (p) => get(`params.${p}`)),
            opt: fromLeaves(optTemplate, (p) => get(`opt.${p}`)),
            epoch: meta.epoch,
            step: meta.step,
            lossSum: meta.lossSum,
            correct: meta.correct,
            seconds: meta.seconds,
            history: meta.history as EpochMetrics[],
          };
          return { config, state };
        }),
      );
    }),
  );
