// For the parser tests and the property-based tests (test/fuzz-*.test.ts):
// how many runs, from which seed, and files built byte by byte, with no help
// from the code under test.

import { crc32, deflateSync } from 'node:zlib';

/**
 * fast-check's settings: a fixed seed, so every run of `npm test` checks the
 * same cases, and `runs` of them; FUZZ_RUNS=10000 (and FUZZ_SEED=n) in the
 * environment for a longer search, which prints its seed on failure.
 */
export const fuzzParameters = (runs: number): { seed: number; numRuns: number; endOnFailure: boolean } => ({
  seed: Number(process.env.FUZZ_SEED ?? 20_251_130),
  numRuns: process.env.FUZZ_RUNS === undefined ? runs : Number(process.env.FUZZ_RUNS),
  endOnFailure: true,
});

/** Time for one `it` with `runs` cases of about `msPerRun`, whatever FUZZ_RUNS asks. */
export const fuzzTimeout = (runs: number, msPerRun: number): number =>
  30_000 + (process.env.FUZZ_RUNS === undefined ? runs : Number(process.env.FUZZ_RUNS)) * msPerRun;

/** How much external memory (ArrayBuffers) `run` left allocated, in MiB, and how long it took. */
export const measure = <A>(run: () => A): { result: A; grewMiB: number; ms: number } => {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const result = run();
  return { result, ms: performance.now() - started, grewMiB: (process.memoryUsage().arrayBuffers - before) / 2 ** 20 };
};

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** One PNG chunk: length, type, data, CRC. */
export const pngChunk = (type: string, data: ArrayLike<number>): number[] => {
  const body = Uint8Array.from([...type].map((c) => c.charCodeAt(0)).concat(Array.from(data)));
  return [...u32(data.length), ...body, ...u32(crc32(body) >>> 0)];
};

export interface PngSpec {
  readonly width: number;
  readonly height: number;
  readonly depth?: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray and alpha, 6 RGBA. */
  readonly colour?: number;
  readonly interlace?: 0 | 1;
  /** RGB triples, for colour type 3. */
  readonly palette?: readonly number[];
}

/** A PNG file holding `raw` (filtered scanlines, before compression) as its image data. */
export const pngFile = (spec: PngSpec, raw: ArrayLike<number>): Uint8Array => {
  const { width, height, depth = 8, colour = 0, interlace = 0, palette } = spec;
  return Uint8Array.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...pngChunk('IHDR', [...u32(width), ...u32(height), depth, colour, 0, 0, interlace]),
    ...(palette === undefined ? [] : pngChunk('PLTE', palette)),
    ...pngChunk('IDAT', deflateSync(Uint8Array.from(raw))),
    ...pngChunk('IEND', []),
  ]);
};

/**
 * The scanlines of an 8-bit gray picture (filter 0 on every row), plain or
 * in Adam7's seven passes, as a PNG encoder lays them out.
 */
export const grayScanlines = (width: number, height: number, gray: ArrayLike<number>, interlace: 0 | 1 = 0): number[] => {
  const passes = interlace === 0
    ? [[0, 0, 1, 1]]
    : [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const out: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0!; y < height; y += dy!) {
      if (x0! >= width) continue;
      out.push(0);
      for (let x = x0!; x < width; x += dx!) out.push(gray[y * width + x]!);
    }
  }
  return out;
};
