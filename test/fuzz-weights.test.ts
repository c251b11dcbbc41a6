// Property-based tests of the weights and checkpoint decoders, the files
// evaluate, predict, explain, --resume and the demo page load: valid files
// with bytes flipped, cut or inserted, metadata fields replaced by any text
// or JSON (deep, huge, wrong types), tensors reshaped, dropped, added or
// holding NaN never make them throw or hang; refusals are one line; weights
// that load are finite; a valid file still round-trips.
// Seed and run count: fuzz-helpers.ts (FUZZ_RUNS=10000 for a long run).

import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { tensor, type Shape } from '../src/core/tensor.ts';
import { leaves, MNIST_SHAPE, type SeedParams } from '../src/graph/index.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/formats/safetensors.ts';
import { presets, type TrainConfig } from '../src/program/recipe/config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import type { EpochMetrics } from '../src/training/loop.ts';
import { networkFor, optimizerFor } from '../src/program/recipe/recipe.ts';
import { decodeWeights, encodeWeights } from '../src/program/recipe/weights.ts';
import { fuzzParameters, fuzzTimeout, measure } from './fuzz-helpers.ts';

const RUNS = 40;

const config: TrainConfig = { ...presets.default, seed: 1, trainLimit: null, testLimit: null, threads: 1, kernels: 'js' };
const params: SeedParams = networkFor(config).init(key(1), MNIST_SHAPE);
const metrics = (epoch: number): EpochMetrics => ({
  epoch, lr: 1e-3, trainLoss: 0.5, trainAccuracy: 0.9, testLoss: 0.4, testAccuracy: 0.91, seconds: 2, imagesPerSecond: 3000,
});
// Adam's step count: two finished epochs of 30 steps and 17 of the third.
const state = { params, opt: { ...optimizerFor(config).init(params), t: tensor([1], Float32Array.of(77)) }, epoch: 2, step: 17, lossSum: 12.5, correct: 900, seconds: 3.25, history: [metrics(0), metrics(1)] };
const checkpoint = ((): Uint8Array => {
  const b = encodeCheckpoint({ config, state });
  if (E.isLeft(b)) throw new Error(b.left);
  return b.right;
})();
const weights = encodeWeights(params, 'fuzz');

const parsed = (bytes: Uint8Array) => {
  const f = decodeSafetensors(bytes);
  if (E.isLeft(f)) throw new Error(f.left);
  return f.right;
};
const files = { checkpoint: parsed(checkpoint), weights: parsed(weights) };
const headerEnd = (bytes: Uint8Array): number => 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

/** Both decoders on the bytes: never a throw, a refusal on one line, weights that load are finite. */
const decodeBoth = (bytes: Uint8Array): void => {
  const { result: [w, c], ms } = measure(() => [decodeWeights(bytes), decodeCheckpoint(bytes)] as const);
  // One line; not a short one yet: checkOrigin quotes a wrong format or architecture whole.
  for (const r of [w, c]) if (E.isLeft(r)) expect(r.left).toMatch(/^[^\n\r]+$/);
  if (E.isRight(w)) for (const [, x] of leaves(w.right)) expect(x.data.every(Number.isFinite)).toBe(true);
  expect(ms).toBeLessThan(5000);
};

const file = fc.constantFrom('checkpoint' as const, 'weights' as const);

/** Text for a metadata field: anything, JSON of any shape, or JSON nested very deep. */
const fieldText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.constantFrom('1e15', '-1', '1.5', 'NaN', 'null', '"0"', '[]', '{}', `${2 ** 53}`, '1e400'),
);

describe('fuzz: weights and checkpoint decode', () => {
  it('round-trips a valid checkpoint and weights file', () => {
    const c = decodeCheckpoint(checkpoint);
    if (E.isLeft(c)) throw new Error(c.left);
    expect(c.right.state).toMatchObject({ epoch: 2, step: 17, correct: 900, history: state.history });
    const w = decodeWeights(weights);
    if (E.isLeft(w)) throw new Error(w.left);
    expect(leaves(w.right).map(([p, x]) => [p, Array.from(x.data)])).toEqual(leaves(params).map(([p, x]) => [p, Array.from(x.data)]));
  });

  it(`never throws with bytes set or cut, in the header or the data (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const edit = fc.record({ inHeader: fc.boolean(), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
    fc.assert(fc.property(file, fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
      let bytes = which === 'checkpoint' ? Uint8Array.from(checkpoint) : Uint8Array.from(weights);
      for (const e of edits) {
        const end = headerEnd(bytes);
        const at = e.inHeader && end <= bytes.length && end > 8 ? 8 + (e.at % (end - 8)) : e.at % bytes.length;
        if (e.cut) bytes = bytes.slice(0, at);
        else bytes[at] = e.value;
        if (bytes.length < 9) break;
      }
      decodeBoth(bytes);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 200));

  it(`never throws with a metadata field replaced by any text or JSON, or dropped (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(file, fc.array(fc.tuple(fc.oneof(fc.constantFrom('format', 'architecture', 'config', 'history', 'epoch', 'step', 'lossSum', 'correct', 'seconds', 'kind'), fc.string({ maxLength: 8 })), fc.option(fieldText)), { minLength: 1, maxLength: 3 }), (which, edits) => {
      const f = files[which];
      const metadata: Record<string, string> = { ...f.metadata };
      for (const [k, v] of edits) {
        if (v === null) delete metadata[k];
        else metadata[k] = v;
      }
      decodeBoth(encodeSafetensors([...f.tensors], metadata));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 300));

  it(`never throws, and loads no non-finite weight, with tensors reshaped, dropped, added or holding NaN and Inf (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('value' as const), tensor: fc.nat(), at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38, -0) }),
      fc.record({ kind: fc.constant('reshape' as const), tensor: fc.nat(), shape: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('drop' as const), tensor: fc.nat() }),
      fc.record({ kind: fc.constant('add' as const), name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('params.conv1.x', 'opt.t', 'opt.m.conv1.w', 'params.')) }),
    );
    fc.assert(fc.property(file, fc.array(edit, { minLength: 1, maxLength: 3 }), (which, edits) => {
      const f = files[which];
      let ts: Array<[string, Shape, Float32Array]> = [...f.tensors].map(([n, x]) => [n, x.shape, Float32Array.from(x.data)]);
      for (const e of edits) {
        if (ts.length === 0) break;
        const i = e.kind === 'add' ? 0 : e.tensor % ts.length;
        const [name, , data] = ts[i]!;
        if (e.kind === 'value' && data.length > 0) data[e.at % data.length] = e.value;
        if (e.kind === 'reshape') ts[i] = [name, e.shape, new Float32Array(e.shape.reduce((a, b) => a * b, 1))];
        if (e.kind === 'drop') ts = ts.filter((_, j) => j !== i);
        if (e.kind === 'add' && e.name !== '__metadata__' && !ts.some(([n]) => n === e.name)) ts.push([e.name, [2], new Float32Array(2)]);
      }
      decodeBoth(encodeSafetensors(ts.map(([n, shape, data]) => [n, tensor(shape, data)] as const), f.metadata));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 300));
});
