// Property-based tests of the safetensors decoder: arbitrary bytes, valid
// files mutated byte by byte and field by field, headers of any JSON, any
// depth and huge numbers never make it throw, hang or hold more than the
// file; its refusals are one line; a valid file still round-trips bit for
// bit. Seed and run count: fuzz-helpers.ts (FUZZ_RUNS=10000 for a long run).

import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../src/core/tensor.ts';
import { MAX_HEADER_DEPTH } from '../src/formats/limits.ts';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from '../src/formats/safetensors.ts';
import { fuzzParameters, fuzzTimeout, measure } from './fuzz-helpers.ts';

const RUNS = 300;

/** Decodes, and checks what every answer must be: one short line, or tensors that fit in the file. */
const decodeChecked = (bytes: Uint8Array): E.Either<string, Safetensors> => {
  const { result, ms, grewMiB } = measure(() => decodeSafetensors(bytes));
  if (E.isLeft(result)) {
    expect(result.left).not.toMatch(/[\n\r]/);
    expect(result.left.length).toBeLessThan(400);
  } else {
    let held = 0;
    for (const t of result.right.tensors.values()) held += t.data.byteLength;
    expect(held).toBeLessThanOrEqual(bytes.length);
  }
  expect(ms).toBeLessThan(2000);
  expect(grewMiB).toBeLessThan(8 + (2 * bytes.length) / 2 ** 20);
  return result;
};

/** A file from header text and data bytes, by hand. */
const rawFile = (header: string, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array => {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

const f32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const namedTensor = fc.tuple(fc.string({ maxLength: 12 }), shape).chain(([name, s]) => {
  const n = s.reduce((a, b) => a * b, 1);
  return fc.array(f32, { minLength: n, maxLength: n }).map((bits) => [name, tensor(s, new Float32Array(Uint32Array.from(bits).buffer))] as const);
});
const tensors = fc.uniqueArray(namedTensor, { selector: ([name]) => name, maxLength: 6 }).map((ts) => ts.filter(([name]) => name !== '__metadata__'));
const metadata = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 });
const validFile = fc.tuple(tensors, metadata).map(([ts, m]) => ({ ts, m, bytes: encodeSafetensors(ts, m) }));

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));

/** One change to a file's bytes: a byte set, a cut, bytes inserted, or the declared header length rewritten. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4096n })) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

const mutate = (bytes: Uint8Array, m: Mutation): Uint8Array => {
  const at = (n: number): number => (bytes.length === 0 ? 0 : n % (bytes.length + 1));
  switch (m.kind) {
    case 'set': {
      const out = Uint8Array.from(bytes);
      if (out.length > 0) out[m.at % out.length] = m.value;
      return out;
    }
    case 'cut':
      return bytes.slice(0, at(m.at));
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at(m.at)), ...m.bytes, ...bytes.subarray(at(m.at))]);
    case 'length': {
      const out = Uint8Array.from(bytes.length >= 8 ? bytes : [...bytes, ...new Uint8Array(8 - bytes.length)]);
      new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
    }
  }
};

describe('fuzz: safetensors decode', () => {
  it(`never throws on arbitrary bytes (${fuzzParameters(RUNS).numRuns} runs, twice)`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => void decodeChecked(b)), fuzzParameters(RUNS));
    // Arbitrary bytes behind a header length that fits them, so they reach the JSON parser.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), (b, cut) => {
      const n = b.length === 0 ? 0 : cut % (b.length + 1);
      void decodeChecked(rawFile('', b, BigInt(n)));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(2 * RUNS, 2));

  it(`round-trips any tensors and metadata bit for bit (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(validFile, ({ ts, m, bytes }) => {
      const r = decodeChecked(bytes);
      if (E.isLeft(r)) throw new Error(r.left);
      // Index-like names ("0") come first, as a parsed JSON object orders them; the rest keep the file's order.
      const isIndex = (n: string): boolean => /^(0|[1-9]\d*)$/.test(n) && Number(n) < 2 ** 32 - 1;
      const names = ts.map(([name]) => name);
      expect([...r.right.tensors.keys()]).toEqual([...names.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...names.filter((n) => !isIndex(n))]);
      for (const [name, t] of ts) {
        expect(r.right.tensors.get(name)!.shape).toEqual(t.shape);
        expect(bits(r.right.tensors.get(name)!)).toEqual(bits(t));
      }
      expect(r.right.metadata).toEqual({ ...m });
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 2));

  it(`never throws on valid files with bytes set, cut, inserted or the header length rewritten (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    fc.assert(fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ bytes }, ms) => {
      void decodeChecked(ms.reduce(mutate, bytes));
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 2));

  it(`never throws on headers of any JSON, huge numbers in shapes and offsets, or any dtype (${fuzzParameters(RUNS).numRuns} runs, twice)`, () => {
    const big = fc.oneof(fc.nat(), fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1, 0.5), fc.double());
    const entry = fc.record({
      dtype: fc.oneof(fc.constant('F32'), fc.string({ maxLength: 4 })),
      shape: fc.array(big, { maxLength: 4 }),
      data_offsets: fc.array(big, { maxLength: 3 }),
    }, { requiredKeys: [] });
    const header = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.jsonValue({ maxDepth: 4 })), { maxKeys: 5 });
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 64 }), (h, data) => void decodeChecked(rawFile(JSON.stringify(h), data))), fuzzParameters(RUNS));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => void decodeChecked(rawFile(JSON.stringify(v) ?? ''))), fuzzParameters(RUNS));
  }, fuzzTimeout(2 * RUNS, 2));

  it(`refuses nesting past MAX_HEADER_DEPTH before parsing, at any depth up to 24,000 (${fuzzParameters(RUNS).numRuns} runs)`, () => {
    const opener = fc.constantFrom('[', '{"k":', '[1,', '{"[":');
    fc.assert(fc.property(fc.array(opener, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (openers, repeat, closed) => {
      // A pattern of openers repeated to any depth, closed or not, inside the header object.
      const depth = openers.length * repeat;
      const opens = Array.from({ length: depth }, (_, i) => openers[i % openers.length]!);
      const closes = closed ? opens.map((o) => (o.startsWith('[') ? ']' : '}')).reverse().join('') : '';
      const r = decodeChecked(rawFile(`{"a":${opens.join('')}0${closes}}`));
      const tooDeep = `header nests arrays or objects more than ${MAX_HEADER_DEPTH} levels deep, the limit`;
      expect(E.isLeft(r) && r.left === tooDeep).toBe(depth + 1 > MAX_HEADER_DEPTH);
    }), fuzzParameters(RUNS));
  }, fuzzTimeout(RUNS, 10));
});
