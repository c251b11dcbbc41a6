// A data set the network cannot use is refused in one line before anything
// runs: an empty split, images of another size (both sizes named).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './temp-dir.ts';

const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const images = (count: number, rows: number, cols: number): Uint8Array =>
  Uint8Array.from([...be32(0x803), ...be32(count), ...be32(rows), ...be32(cols), ...new Array<number>(count * rows * cols).fill(7)]);
const labels = (count: number): Uint8Array => Uint8Array.from([...be32(0x801), ...be32(count), ...new Array<number>(count).fill(3)]);

const dataDir = (train: [number, number, number], test: [number, number, number]): string => {
  const d = tempDir('data-');
  writeFileSync(join(d, 'train-images-idx3-ubyte'), images(...train));
  writeFileSync(join(d, 'train-labels-idx1-ubyte'), labels(train[0]));
  writeFileSync(join(d, 't10k-images-idx3-ubyte'), images(...test));
  writeFileSync(join(d, 't10k-labels-idx1-ubyte'), labels(test[0]));
  return d;
};

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/train.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('data the network cannot use', () => {
  it.each([
    ['an empty test set', [20, 28, 28], [0, 28, 28], ['evaluate', 'models/default.safetensors'], /the test set holds no images/],
    ['an empty test set (training)', [20, 28, 28], [0, 28, 28], ['--epochs', '1'], /the test set holds no images/],
    ['an empty training set', [0, 28, 28], [20, 28, 28], ['--epochs', '1'], /the training set holds no images/],
    ['32x32 test images beside 28x28 training images', [20, 28, 28], [20, 32, 32], ['--epochs', '1'], /the training images are 28x28 and the test images 32x32; this network takes 28x28/],
  ] as const)('%s: one line, exit 2', (_, train, test, args, why) => {
    const d = dataDir([...train], [...test]);
    const r = cli([...args, '--data-dir', d, ...(args[0] === 'evaluate' ? [] : ['--out', join(d, 'run')])]);
    expect(r.status, r.stderr + r.stdout).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(why);
  });
});

describe('evaluate reads the test split alone', () => {
  it('works from a directory that holds only the t10k files', () => {
    const d = tempDir('data-');
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), images(30, 28, 28));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), labels(30));
    const r = cli(['evaluate', 'models/default.safetensors', '--data-dir', d]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/test accuracy [\d.]+%, loss [\d.]+ on 30 images/);
  });
});
