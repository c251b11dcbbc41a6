// Checkpoints: a round trip predicts identically and resumes with the same
// state; every kind of bad checkpoint is a clear error, never a wrong model.

import * as E from 'fp-ts/lib/Either.js';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { describe, expect, it } from 'vitest';
import { key, uniform } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { leaves, MNIST_SHAPE, type SeedParams } from '../src/graph/index.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/formats/safetensors.ts';
import { presets, type TrainConfig } from '../src/program/recipe/config.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/program/recipe/checkpoint.ts';
import type { EpochMetrics } from '../src/training/loop.ts';
import { networkFor, optimizerFor } from '../src/program/recipe/recipe.ts';

const config: TrainConfig = { ...presets.default, seed: 1, trainLimit: null, testLimit: null, threads: 1, kernels: 'js' };
const net = networkFor(config);
const params: SeedParams = net.init(key(1), MNIST_SHAPE);
const opt = optimizerFor(config);
const metrics = (epoch: number): EpochMetrics => ({
  epoch, lr: 1e-3, trainLoss: 0.5, trainAccuracy: 0.9, testLoss: 0.4, testAccuracy: 0.91, seconds: 2, imagesPerSecond: 3000,
});
// Adam's step count: two finished epochs of 30 steps and 17 of the third.
const state = { params, opt: { ...opt.init(params), t: tensor([1], Float32Array.of(77)) }, epoch: 2, step: 17, lossSum: 12.5, correct: 900, seconds: 3.25, history: [metrics(0), metrics(1)] };
const ck: Checkpoint = { config, state };
const encode = (c: Checkpoint): Uint8Array => {
  const b = encodeCheckpoint(c);
  if (E.isLeft(b)) throw new Error(b.left);
  return b.right;
};
const bytes = encode(ck);

const errorOf = (b: Uint8Array): string => {
  const r = decodeCheckpoint(b);
  if (E.isRight(r)) throw new Error('expected an error');
  return r.left;
};

/** Re-encodes the checkpoint's tensors after `edit`, keeping its metadata. */
const tamper = (edit: (t: Array<[string, ReturnType<typeof tensor>]>) => Array<[string, ReturnType<typeof tensor>]>): Uint8Array => {
  const f = decodeSafetensors(bytes);
  if (E.isLeft(f)) throw new Error(f.left);
  return encodeSafetensors(edit([...f.right.tensors.entries()]), f.right.metadata);
};

describe('checkpoints', () => {
  it('round trip: same parameters, state and predictions', () => {
    const back = decodeCheckpoint(bytes);
    if (E.isLeft(back)) throw new Error(back.left);
    expect(back.right.config).toEqual(config);
    expect(back.right.state).toMatchObject({ epoch: 2, step: 17, lossSum: 12.5, correct: 900, seconds: 3.25, history: state.history });
    expect(leaves(back.right.state.params).map(([p, t]) => [p, Array.from(t.data)])).toEqual(leaves(params).map(([p, t]) => [p, Array.from(t.data)]));
    expect(leaves(back.right.state.opt).map(([p]) => p)).toEqual(leaves(ck.state.opt).map(([p]) => p));
    const x = tensor([3, 28, 28, 1], Float32Array.from(uniform(key(2), 3 * 784)));
    expect(Array.from(net.apply(back.right.state.params, x, { kernels: jsKernels }).out.data)).toEqual(Array.from(net.apply(params, x, { kernels: jsKernels }).out.data));
  });

  it('names the tensor that is missing or has the wrong shape', () => {
    expect(errorOf(tamper((t) => t.filter(([n]) => n !== 'params.conv2.w')))).toMatch(/missing tensor "params.conv2.w"/);
    expect(errorOf(tamper((t) => t.map(([n, v]) => [n, n === 'params.dense2.b' ? tensor([5, 2], Float32Array.from(v.data)) : v])))).toMatch(
      /tensor "params.dense2.b" has shape \[5, 2\], expected \[10\]/,
    );
    expect(errorOf(tamper((t) => [...t, ['params.extra', tensor([1], new Float32Array(1))]]))).toMatch(/unexpected tensor "params.extra"/);
  });

  it('rejects truncated files, lying headers and foreign metadata', () => {
    expect(errorOf(bytes.subarray(0, 5))).toBeTruthy();
    expect(errorOf(bytes.subarray(0, bytes.length - 4))).toBeTruthy();
    const lying = bytes.slice();
    new DataView(lying.buffer).setUint32(0, 1e6, true); // header length past the end of the file
    expect(errorOf(lying)).toBeTruthy();
    const f = decodeSafetensors(bytes);
    if (E.isLeft(f)) throw new Error(f.left);
    const foreign = encodeSafetensors([...f.right.tensors.entries()], { ...f.right.metadata, architecture: 'resnet50' });
    expect(errorOf(foreign)).toMatch(/architecture "resnet50"/);
    const noConfig = encodeSafetensors([...f.right.tensors.entries()], { ...f.right.metadata, config: '{"preset":"huge"}' });
    expect(errorOf(noConfig)).toMatch(/metadata is invalid at config/);
  });

  it('refuses to write what it could not read back: a NaN or infinite number, a fraction where a count goes', () => {
    const whyNot = (c: Checkpoint): string => {
      const r = encodeCheckpoint(c);
      if (E.isRight(r)) throw new Error('expected an error');
      return r.left;
    };
    expect(whyNot({ config, state: { ...state, lossSum: NaN } })).toBe('checkpoint metadata is invalid at lossSum: must be a finite number >= 0, got NaN');
    expect(whyNot({ config, state: { ...state, history: [metrics(0), { ...metrics(1), testLoss: Infinity }] } })).toMatch(/at history\.1\.testLoss: .* got Infinity/);
    expect(whyNot({ config, state: { ...state, step: 1.5 } })).toMatch(/at step: must be an integer >= 0/);
    expect(whyNot({ config: { ...config, batchSize: 0 }, state })).toMatch(/at config\.batchSize: must be an integer >= 1/);
  });

  it('rejects counts that are not whole numbers, and positions past the end of the run', () => {
    const f = decodeSafetensors(bytes);
    if (E.isLeft(f)) throw new Error(f.left);
    const withMeta = (m: Record<string, string>): Uint8Array => encodeSafetensors([...f.right.tensors.entries()], { ...f.right.metadata, ...m });
    expect(errorOf(withMeta({ step: '-1' }))).toMatch(/at step: must be an integer >= 0, got -1/);
    expect(errorOf(withMeta({ lossSum: 'null' }))).toMatch(/at lossSum: must be a finite number >= 0, got null/);
    expect(errorOf(withMeta({ config: JSON.stringify({ ...config, epochs: 2.5 }) }))).toMatch(/at config\.epochs: must be an integer >= 1/);
    expect(errorOf(withMeta({ config: JSON.stringify({ ...config, threads: 0 }) }))).toMatch(/at config\.threads/);
    expect(errorOf(withMeta({ config: JSON.stringify({ ...config, epochs: 1 }) }))).toBe('checkpoint is at epoch 2 of a 1-epoch run');
    expect(errorOf(withMeta({ config: JSON.stringify({ ...config, epochs: 2 }) }))).toBe('checkpoint is at step 17 after the last epoch');
    expect(errorOf(withMeta({ history: '[]' }))).toBe('checkpoint is at epoch 2 but its history holds 0 epochs');
  });
});

describe('checkpoints: non-finite or inconsistent state never enters or leaves', () => {
  const poke = (name: string, value: number) =>
    tamper((t) => t.map(([n, v]) => {
      if (n !== name) return [n, v];
      const d = Float32Array.from(v.data);
      d[3] = value;
      return [n, tensor(v.shape, d)];
    }));

  it.each([
    ['opt.m.conv1.w', NaN, /tensor "opt.m.conv1.w" holds a non-finite value \(NaN at index 3\)/],
    ['params.conv1.w', NaN, /tensor "params.conv1.w" holds a non-finite value/],
    ['params.dense1.w', Infinity, /tensor "params.dense1.w" holds a non-finite value \(Infinity/],
    ['opt.v.dense2.b', NaN, /tensor "opt.v.dense2.b" holds a non-finite value/],
    ['opt.v.dense2.b', -1, /tensor "opt.v.dense2.b" \(Adam's second moment\) holds a negative value \(-1 at index 3\)/],
  ])('%s = %s is refused on load', (name, value, why) => {
    expect(errorOf(poke(name, value))).toMatch(why);
  });

  it('metadata must agree with itself: right answers within the images seen, a sane run length, an ordered history', () => {
    expect(E.isLeft(encodeCheckpoint({ config, state: { ...state, correct: 100000 } }))).toBe(true);
    const reMeta = (edit: Record<string, string>): Uint8Array => {
      const f = decodeSafetensors(bytes);
      if (E.isLeft(f)) throw new Error(f.left);
      return encodeSafetensors([...f.right.tensors.entries()], { ...f.right.metadata, ...edit });
    };
    expect(errorOf(reMeta({ correct: '100000' }))).toMatch(/counts 100000 right answers after 17 steps of 64 images/);
    expect(errorOf(reMeta({ config: JSON.stringify({ ...config, epochs: 1e15 }) }))).toMatch(/1000000000000000-epoch run; at most 10000 epochs/);
    expect(errorOf(reMeta({ history: JSON.stringify([metrics(0), metrics(0)]) }))).toMatch(/history entry 1 is inconsistent/);
    expect(errorOf(reMeta({ history: JSON.stringify([metrics(0), { ...metrics(1), testAccuracy: 50.84 }]) }))).toMatch(/history entry 1 is inconsistent/);
  });

  it('a state with a non-finite value is never written', () => {
    const bad = { ...params, conv1: { w: tensor(params.conv1.w.shape, Float32Array.from(params.conv1.w.data, (v, i) => (i === 0 ? NaN : v))) } };
    const r = encodeCheckpoint({ config, state: { ...state, params: bad } });
    expect(E.isLeft(r) && r.left).toMatch(/tensor "params.conv1.w" holds a non-finite value/);
  });
});
