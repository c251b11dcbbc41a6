// How well a model reads digits that are not centred and drawn like MNIST's:
// its accuracy on transformed copies of the test set (moved, turned,
// resized, thicker and thinner strokes), with a fixed key so the figures
// repeat. People drawing on the demo page make exactly these changes.

import { key } from '../core/random.ts';
import type { Layer, Tree } from '../graph/index.ts';
import { affine, morph, type Augment } from './augment.ts';
import type { Images } from './batches.ts';
import { evaluateAsync, type EvaluateAsyncOptions } from './evaluate.ts';

/** The transformed copies of the robustness report, by name. */
export const ROBUSTNESS_TESTS: ReadonlyArray<{ readonly name: string; readonly augment: Augment }> = [
  { name: 'moved up to 3 px', augment: affine({ shift: 3 }) },
  { name: 'turned up to 20°', augment: affine({ rotate: 20 }) },
  { name: 'resized 0.75-1.25', augment: affine({ scale: 0.25 }) },
  // Half-way dilation and erosion: a full one turns MNIST's 2-3 px strokes into blobs or hairlines.
  { name: 'thicker strokes', augment: (_, x) => morph(x, 'dilate', () => true, () => 0.5) },
  { name: 'thinner strokes', augment: (_, x) => morph(x, 'erode', () => true, () => 0.5) },
];

/** The key of the report's copies: fixed, so the figures repeat. */
export const ROBUSTNESS_SEED = 20261130;

/** Accuracy on the clean test set and on each transformed copy of it. */
export interface RobustnessReport {
  /** Accuracy on the test set as it is. */
  readonly clean: number;
  /** Accuracy on each copy of the six transformations, in order. */
  readonly rows: ReadonlyArray<{ readonly name: string; readonly accuracy: number }>;
  /** The mean accuracy over the transformed copies. */
  readonly mean: number;
}

/**
 * Accuracy on the test set and on each transformed copy of it; null if
 * `shouldStop` (asked before each of the six evaluations) says to give up.
 *
 * @example
 * const r = await robustness(net, params, test, { kernels });
 * console.log(formatRobustness(r));
 */
export const robustness = async <P extends Tree>(
  net: Layer<P>,
  params: P,
  test: Images,
  options: EvaluateAsyncOptions<P>,
  shouldStop: () => boolean = () => false,
): Promise<RobustnessReport | null> => {
  if (shouldStop()) return null;
  const clean = (await evaluateAsync(net, params, test, options)).accuracy;
  const rows: Array<{ readonly name: string; readonly accuracy: number }> = [];
  for (const [i, { name, augment }] of ROBUSTNESS_TESTS.entries()) {
    if (shouldStop()) return null;
    rows.push({ name, accuracy: (await evaluateAsync(net, params, test, { ...options, transform: { augment, key: key(ROBUSTNESS_SEED + i) } })).accuracy });
  }
  return { clean, rows, mean: rows.reduce((s, r) => s + r.accuracy, 0) / rows.length };
};

/** The report as a small text table. */
export const formatRobustness = (r: RobustnessReport): string => {
  const pct = (a: number): string => `${(100 * a).toFixed(2)}%`.padStart(8);
  const w = Math.max(...r.rows.map((x) => x.name.length), 'mean of the copies'.length);
  return [
    `${'test set'.padEnd(w)}  accuracy`,
    `${'clean'.padEnd(w)}  ${pct(r.clean)}`,
    ...r.rows.map((x) => `${x.name.padEnd(w)}  ${pct(x.accuracy)}`),
    `${'mean of the copies'.padEnd(w)}  ${pct(r.mean)}`,
  ].join('\n');
};
