// The note for a seed-preset run too short to learn much. The seed preset is
// the reference's recipe: one image per step, plain SGD from a small
// initialisation, a learning rate warming up from 1e-5 over 3 epochs. Measured
// (seed 0, 2,000 test images): 2,700 steps (9 epochs of 300 images) end at 20%
// with the loss barely moved from ln 10, a near-constant classifier; 9,000 at
// 54%; 27,000 at 92%; the full run, 540,000 steps, at 99.26%. The full run's
// own first epoch, 60,000 steps at 1e-5, still stands at 31%. So the line is
// drawn at one epoch of the full training set: fewer steps in the whole run
// than the reference takes in one epoch.

import { stepsPerEpoch } from '../../training/loop.ts';
import type { TrainConfig } from './config.ts';

/** Steps in one epoch of the full MNIST training set at batch 1: the fewest a seed-preset run should take. */
export const SEED_PRESET_MIN_STEPS = 60_000;

const count = (n: number): string => n.toLocaleString('en-US');

/** For a seed-preset run of fewer than SEED_PRESET_MIN_STEPS steps on `images` training images, the note saying so; otherwise null. */
export const shortRunNote = (c: Pick<TrainConfig, 'preset' | 'epochs' | 'batchSize' | 'lr' | 'optimizer'>, images: number): string | null => {
  const steps = c.epochs * stepsPerEpoch(images, c.batchSize);
  if (c.preset !== 'seed' || steps >= SEED_PRESET_MIN_STEPS) return null;
  const perStep = c.batchSize === 1 ? 'one image' : `${c.batchSize} images`;
  return (
    `the seed preset (${perStep} per step, ${c.optimizer === 'sgd' ? 'plain SGD' : c.optimizer}, lr warming up from 1e-5 to ${c.lr}) needs tens of thousands of steps; ` +
    `this run has ${count(steps)} (${c.epochs} epoch${c.epochs === 1 ? '' : 's'} of ${count(images)} images), fewer than one epoch of ` +
    `the full training set (${count(SEED_PRESET_MIN_STEPS)}), and will likely end far below 99%, near one class with a few thousand: ` +
    'use the default preset for short runs'
  );
};
