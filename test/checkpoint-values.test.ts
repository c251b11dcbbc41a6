// A checkpoint is checked to its last value: Adam's step count (opt.t) must
// be a whole count of the steps the run took, consistent with the epoch and
// step it records and, on resume, with the data's steps per epoch; and
// weights that are finite but overflow float32 in the forward pass are named
// as such rather than evaluated to a NaN loss.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { mapTree, MNIST_SHAPE, type SeedParams } from '../src/graph/index.ts';
import { presets, type TrainConfig } from '../src/program/recipe/config.ts';
import { checkPosition, decodeCheckpoint, encodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import type { RunState } from '../src/training/loop.ts';
import { networkFor, optimizerFor } from '../src/program/recipe/recipe.ts';
import { encodeWeights } from '../src/program/recipe/weights.ts';
import { cli, tempDir } from './cli-run.ts';

const config: TrainConfig = { ...presets.default, epochs: 3, seed: 1, trainLimit: 320, testLimit: 50, threads: 1, kernels: 'js' };
const params: SeedParams = networkFor(config).init(key(1), MNIST_SHAPE);
const metrics = (epoch: number) => ({ epoch, lr: 1e-3, trainLoss: 0.5, trainAccuracy: 0.9, testLoss: 0.4, testAccuracy: 0.91, seconds: 2, imagesPerSecond: 3000 });
/** Epoch 1, step 2 of 5-step epochs (320 images, batch 64): 7 steps taken, unless `t` says otherwise. */
const stateWith = (t: number): RunState<SeedParams> => ({
  params, opt: { ...optimizerFor(config).init(params), t: tensor([1], Float32Array.of(t)) },
  epoch: 1, step: 2, lossSum: 1, correct: 10, seconds: 1, history: [metrics(0)],
});
const bytesWith = (t: number): Uint8Array => {
  const b = encodeCheckpoint({ config, state: stateWith(t) });
  if (E.isLeft(b)) throw new Error(b.left);
  return b.right;
};

describe("Adam's step count", () => {
  it('refuses a negative, fractional, too small or huge count when loading', () => {
    for (const t of [-1, 0, 0.5, 2, 1e30, -1e30, 3.4e38]) {
      const r = decodeCheckpoint(bytesWith(t));
      expect(r, String(t)).toEqual(E.left(`Adam's step count opt.t is ${Math.fround(t)}, not a whole number from 3 (epoch 1, step 2) to 16777216`));
    }
    expect(E.isRight(decodeCheckpoint(bytesWith(7)))).toBe(true);
  });

  it('on resume must equal the steps taken on this data', () => {
    expect(checkPosition(stateWith(7), 5, 320)).toEqual(E.right(undefined));
    expect(checkPosition(stateWith(9), 5, 320)).toEqual(E.left("Adam's step count opt.t is 9, but epoch 1, step 2 of 5-step epochs make 7 steps"));
    expect(checkPosition(stateWith(7), 1, 64)).toEqual(E.left('the checkpoint is at step 2 of epoch 1, but an epoch of these 64 images has 1 steps'));
  });

  it('the program refuses such a resume with one line before training', () => {
    const d = tempDir('opt-t-');
    const ck = join(d, 'checkpoint.safetensors');
    writeFileSync(ck, bytesWith(9));
    const r = cli(['--resume', ck]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${ck}: Adam's step count opt.t is 9, but epoch 1, step 2 of 5-step epochs make 7 steps (another --data-dir?)`);
    expect(r.stdout).not.toMatch(/^epoch /m);
  }, 60_000);
});

describe('weights that overflow', () => {
  it('evaluate and explain name the layer; predict says the output is not finite', () => {
    const d = tempDir('huge-');
    const w = join(d, 'huge.safetensors');
    writeFileSync(w, encodeWeights(mapTree(params, (t) => tensor(t.shape, new Float32Array(t.data.length).fill(3e38)))));
    const ev = cli(['evaluate', w, '--test-limit', '20']);
    expect(ev.code).toBe(2);
    expect(ev.stderr.trim()).toMatch(new RegExp(`^error: ${w}: the weights overflow float32: layer \\w+'s output is not finite`));
    const ex = cli(['explain', w, 'test/fixtures/drawn/4-heavy.png', '--out', join(d, 'why')]);
    expect(ex.code).toBe(2);
    expect(ex.stderr.trim()).toMatch(/the weights overflow float32: layer \w+'s output is not finite/);
    const pr = cli(['predict', w, 'test/fixtures/drawn/4-heavy.png']);
    expect(pr.code).toBe(2);
    expect(pr.stderr.trim()).toBe("error: test/fixtures/drawn/4-heavy.png: the network's output is not finite: the weights overflow float32 on this picture");
  }, 60_000);
});
