// Property-based tests of the IDX parsers, raw and gzip: arbitrary bytes,
// headers declaring any counts and sizes, bodies cut or padded, gzip data
// flipped, cut or inflating far past its header never make them throw, hang,
// or allocate more than the header declares (and MAX_IDX_BYTES); refusals
// are one line naming the file; a valid file still round-trips.
// Seed and run count: fuzz-helpers.ts (FUZZ_RUNS=10000 for a long run).

import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_IDX_BYTES } from '../src/formats/limits.ts';
import { decompress, formatDataError, parseImages, parseLabels, type DataError, type IdxImages, type IdxLabels } from '../src/platform/idx-files.ts';
import { fuzzParameters, fuzzTimeout, measure } from './fuzz-helpers.ts';

const RUNS = 300;

const u32 = (...v: number[]): number[] => v.flatMap((x) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);

type Kind = 'images' | 'labels';
const parse = (kind: Kind, b: Uint8Array): E.Either<DataError, IdxImages | IdxLabels> => (kind === 'images' ? parseImages('f', b) : parseLabels('f', b));

/** Decompresses (when gzip) and parses, as readImages and readLabels do, checking every answer. */
const load = (kind: Kind, bytes: Uint8Array, declared: number | null = null): E.Either<DataError, { count: number; data: Uint8Array }> => {
  const { result, ms, grewMiB } = measure(() =>
    E.chain((b: Uint8Array) => parse(kind, b))(decompress('f', kind, bytes)),
  );
  expect(ms).toBeLessThan(2000);
  // Never more than the header declares (or the limit), the file itself, and slack.
  expect(grewMiB).toBeLessThan(8 + (2 * (Math.min(declared ?? 0, MAX_IDX_BYTES) + bytes.length)) / 2 ** 20);
  if (E.isLeft(result)) {
    expect(formatDataError(result.left)).toMatch(/^f: [^\n\r]{1,200}$/);
    return result;
  }
  const data = 'pixels' in result.right ? result.right.pixels : result.right.labels;
  const { count } = result.right;
  if ('pixels' in result.right) expect(data.length).toBe(count * result.right.rows * result.right.cols);
  else expect(data.length).toBe(count);
  return E.right({ count, data });
};

const kind = fc.constantFrom<Kind>('images', 'labels');
const dim = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(28, 2 ** 16, 2 ** 31, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));

/** A valid file: its kind, its header and body, and the body alone. */
const validFile = kind.chain((k) =>
  fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).chain(([count, rows, cols]) => {
    const n = k === 'images' ? count * rows * cols : count;
    return fc.uint8Array({ minLength: n, maxLength: n, max: k === 'images' ? 255 : 9 }).map((body) => ({
      kind: k,
      count,
      body,
      bytes: Uint8Array.from([...(k === 'images' ? u32(0x803, count, rows, cols) : u32(0x801, count)), ...body]),
    }));
  }),
);

describe('fuzz: IDX parse, raw and gzip', () => {
  it(`never throws on arbitrary bytes, raw or gzipped (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(kind, fc.uint8Array({ maxLength: 256 }), (k, b) => {
      void load(k, b);
      void load(k, gzipSync(b));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 5));

  it(`round-trips any valid file, raw and gzip (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(validFile, ({ kind: k, count, body, bytes }) => {
      for (const b of [bytes, gzipSync(bytes)]) {
        const r = load(k, b);
        if (E.isLeft(r)) throw new Error(formatDataError(r.left));
        expect(r.right.count).toBe(count);
        expect(Array.from(r.right.data)).toEqual(Array.from(body));
      }
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 5));

  it(`never throws, nor allocates what it lacks, with any declared count and size over any body (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(kind, dim, dim, dim, fc.uint8Array({ maxLength: 200 }), fc.boolean(), (k, count, rows, cols, body, gz) => {
      const bytes = Uint8Array.from([...(k === 'images' ? u32(0x803, count, rows, cols) : u32(0x801, count)), ...body]);
      const r = load(k, gz ? gzipSync(bytes) : bytes);
      const declared = k === 'images' ? count * rows * cols : count;
      expect(E.isRight(r)).toBe(declared === body.length && (k === 'labels' ? body.every((l) => l <= 9) : rows > 0 && cols > 0));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 5));

  it(`never throws on valid gzip files with bytes set or cut (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
    fc.assert(fc.property(validFile, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ kind: k, bytes }, edits) => {
      let gz = Uint8Array.from(gzipSync(bytes));
      for (const e of edits) {
        if (gz.length === 0) break;
        if (e.cut) gz = gz.slice(0, e.at % gz.length);
        else gz[e.at % gz.length] = e.value;
      }
      void load(k, gz);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 5));

  it(`stops a gzip bomb behind any header at what the header declares (${fuzzParameters(40).numRuns} runs)`, () => {
    const mib = gzipSync(new Uint8Array(2 ** 20), { level: 9 });
    fc.assert(fc.property(kind, dim, dim, dim, fc.integer({ min: 1, max: 24 }), (k, count, rows, cols, members) => {
      const head = Uint8Array.from(k === 'images' ? u32(0x803, count, rows, cols) : u32(0x801, count));
      const gz = Uint8Array.from(Buffer.concat([gzipSync(head), ...Array.from({ length: members }, () => mib)]));
      const declared = (k === 'images' ? 16 : 8) + (k === 'images' ? count * rows * cols : count);
      const r = load(k, gz, declared);
      if (declared !== head.length + members * 2 ** 20) expect(E.isLeft(r)).toBe(true);
    }), fuzzParameters(40));
  }, fuzzTimeout(40, 100));
});
