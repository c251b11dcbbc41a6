// Property-based tests of PNG decoding and the preprocessing predict and
// explain apply: arbitrary bytes, valid files of every colour type, depth
// and interlacing with bytes set (CRCs fixed, so the change reaches the
// decoder), cut, header numbers changed, image data too short, too long or
// random, never make decodePng throw, hang, allocate past MAX_PNG_SIDE or
// answer differently twice; whatever it decodes preprocesses to 28x28; a
// valid file still round-trips.
// Seed and run count: fuzz-helpers.ts (FUZZ_RUNS=10000 for a long run).

import { crc32 } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PNG_SIDE } from '../src/formats/limits.ts';
import { preprocess } from '../src/pictures/preprocess.ts';
import { createRaster } from '../src/pictures/raster.ts';
import { decodePng, encodePng, type DecodedPng } from '../src/platform/png.ts';
import { fuzzParameters, fuzzTimeout, measure, pngFile, type PngSpec } from './fuzz-helpers.ts';

const RUNS = 200;

/** Decodes twice (the same answer both times), and checks the answer: one line, or pixels that preprocess. */
const decodeChecked = (bytes: Uint8Array): E.Either<string, DecodedPng> => {
  const { result, ms, grewMiB } = measure(() => decodePng(bytes));
  expect(ms).toBeLessThan(5000);
  expect(grewMiB).toBeLessThan(16 + (40 * bytes.length) / 2 ** 20);
  const again = decodePng(bytes);
  if (E.isLeft(result)) {
    expect(result.left).toMatch(/^[^\n\r]{1,300}$/);
    expect(again).toEqual(result);
    return result;
  }
  expect(E.isRight(again) && Buffer.compare(again.right.rgba, result.right.rgba)).toBe(0);
  const { width, height, rgba } = result.right;
  expect(width).toBeLessThanOrEqual(MAX_PNG_SIDE);
  expect(height).toBeLessThanOrEqual(MAX_PNG_SIDE);
  expect(rgba.length).toBe(width * height * 4);
  const input = preprocess(result.right);
  expect(input.length).toBe(784);
  return result;
};

/** Colour type and bit depth pairs the standard allows, with samples per pixel. */
const TYPES = [[0, 1, 1], [0, 2, 1], [0, 4, 1], [0, 8, 1], [0, 16, 1], [2, 8, 3], [2, 16, 3], [3, 1, 1], [3, 2, 1], [3, 4, 1], [3, 8, 1], [4, 8, 2], [4, 16, 2], [6, 8, 4], [6, 16, 4]] as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** How many filtered scanline bytes the spec's image data holds. */
const dataBytes = ({ width, height, depth = 8, interlace = 0 }: PngSpec, channels: number): number => {
  const rows = (w: number, h: number): number => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * channels * depth) / 8)) : 0);
  return interlace === 0 ? rows(width, height) : ADAM7.reduce((s, [x0, y0, dx, dy]) => s + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
};

/** A valid PNG of any type: random samples, filter bytes 0-4 (every filter pngjs undoes), palettes of 256 colours. */
const validPng = fc.tuple(fc.constantFrom(...TYPES), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 }), fc.constantFrom<0 | 1>(0, 1)).chain(([[colour, depth, channels], width, height, interlace]) => {
  const spec: PngSpec = { width, height, depth, colour, interlace, ...(colour === 3 ? { palette: Array.from({ length: 768 }, (_, i) => (i * 7) % 256) } : {}) };
  const n = dataBytes(spec, channels);
  return fc.uint8Array({ minLength: n, maxLength: n }).map((raw) => {
    // Every scanline's first byte is its filter type: keep it valid (0-4). Rows are found by walking the layout again.
    const rowBytes = (w: number): number => 1 + Math.ceil((w * channels * depth) / 8);
    const passes = interlace === 0 ? [[width, height]] : ADAM7.map(([x0, y0, dx, dy]) => [Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)]);
    let at = 0;
    for (const [w, h] of passes) {
      if (w! <= 0 || h! <= 0) continue;
      for (let y = 0; y < h!; y++, at += rowBytes(w!)) raw[at] = raw[at]! % 5;
    }
    return { spec, raw, bytes: pngFile(spec, raw) };
  });
});

/** Sets a byte inside a chunk and recomputes that chunk's CRC, so the change reaches the decoder instead of failing the checksum. */
const setWithCrc = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
  const out = Uint8Array.from(bytes);
  const v = new DataView(out.buffer);
  for (let c = 8; c + 12 <= out.length;) {
    const length = v.getUint32(c, false);
    const end = c + 12 + length;
    if (end > out.length) break;
    if (at >= c + 4 && at < end - 4) {
      out[at] = value;
      v.setUint32(end - 4, crc32(out.subarray(c + 4, end - 4)) >>> 0, false);
      return out;
    }
    c = end;
  }
  if (at < out.length) out[at] = value;
  return out;
};

describe('fuzz: PNG decode and preprocess', () => {
  it(`never throws on arbitrary bytes after the signature (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, signed) => {
      void decodeChecked(signed ? Uint8Array.from([...signature, ...b]) : b);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 5));

  it(`round-trips any picture through encodePng, and decodes every colour type, depth and interlacing (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (w, h, seed) => {
      const r = createRaster(w, h);
      for (let i = 0; i < r.rgba.length; i++) r.rgba[i] = (seed + i * 2654435761) >>> 24;
      const d = decodeChecked(encodePng(r));
      expect(E.isRight(d) && [d.right.width, d.right.height, Buffer.compare(d.right.rgba, new Uint8Array(r.rgba.buffer))]).toEqual([w, h, 0]);
    }), fuzzParameters(RUNS));
    fc.assert(fc.property(validPng, ({ spec, bytes }) => {
      const d = decodeChecked(bytes);
      expect(E.isRight(d) && [d.right.width, d.right.height]).toEqual([spec.width, spec.height]);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(2 * RUNS, 10));

  it(`never throws, and answers the same twice, with bytes set (CRCs fixed) or cut (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.boolean(), nearHeader: fc.boolean() });
    fc.assert(fc.property(validPng, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ bytes }, edits) => {
      let b = bytes;
      for (const e of edits) {
        const at = e.nearHeader ? 8 + (e.at % 33) : e.at % b.length;
        b = e.cut ? b.slice(0, at) : setWithCrc(b, at, e.value);
        if (b.length === 0) break;
      }
      void decodeChecked(b);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 10));

  it(`never throws, nor allocates for more than MAX_PNG_SIDE, with any size, type or image data of any length (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const side = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(MAX_PNG_SIDE, MAX_PNG_SIDE + 1, 20000, 2 ** 31, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(fc.property(side, side, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 2000 }), (width, height, depth, colour, interlace, raw) => {
      const spec = { width, height, depth, colour, interlace: interlace as 0 | 1, ...(colour === 3 ? { palette: [0, 0, 0, 255, 255, 255] } : {}) };
      const d = decodeChecked(pngFile(spec, raw));
      if (width > 0 && height > 0 && (width > MAX_PNG_SIDE || height > MAX_PNG_SIDE)) expect(d).toEqual(E.left(`unreadable PNG: image is ${width}x${height} pixels, more than ${MAX_PNG_SIDE}x${MAX_PNG_SIDE}, the limit`));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 10));

  it(`refuses image data shorter or longer than the header implies, every time the same way (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(validPng, fc.integer({ min: -300, max: 300 }).filter((d) => d !== 0), ({ spec, raw }, delta) => {
      const changed = delta < 0 ? raw.subarray(0, Math.max(0, raw.length + delta)) : Uint8Array.from([...raw, ...new Uint8Array(delta)]);
      const d = decodeChecked(pngFile(spec, changed));
      expect(E.isLeft(d) && d.left).toMatch(/^unreadable PNG: image data decompresses to /);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 10));

  it(`preprocesses any picture to 28x28, and a picture of one colour to nothing (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const picture = fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 })).chain(([w, h]) =>
      fc.uint8Array({ minLength: w * h * 4, maxLength: w * h * 4 }).map((rgba) => ({ width: w, height: h, rgba })));
    fc.assert(fc.property(picture, fc.boolean(), (img, flat) => {
      if (flat) for (let i = 4; i < img.rgba.length; i++) img.rgba[i] = img.rgba[i % 4]!;
      const out = preprocess(img);
      expect(out.length).toBe(784);
      if (flat) expect(out.every((v) => v === 0)).toBe(true);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 10));
});
