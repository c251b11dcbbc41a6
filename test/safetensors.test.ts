// The safetensors codec: round trips, the standard layout (checked by a reader
// written here, independent of the codec), every kind of corrupt file, the
// expected-tensor check, and the atomic file writes checkpoints go through.

import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fromArray, tensor, type Tensor } from '../src/core/tensor.ts';
import { decodeSafetensors, encodeSafetensors, expectTensors, MAX_HEADER_BYTES, MAX_HEADER_DEPTH } from '../src/formats/safetensors.ts';
import { readFileBytes, writeFileAtomic } from '../src/platform/atomic-write.ts';
import { MODEL_FILE_LIMIT } from '../src/formats/limits.ts';
import { tempDir } from './temp-dir.ts';

const f32Bits = (...bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const bytesOf = (t: Tensor): number[] => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

const special = f32Bits(
  0x80000000, // -0
  0x00000001, // smallest subnormal
  0x7f7fffff, // largest finite
  0x7f800000, // +inf
  0xff800000, // -inf
  0x7fc12345, // NaN with a payload
);

const sample = (): Array<[string, Tensor]> => [
  ['conv.w', fromArray([2, 3], [1.5, -2, 3.25, 0, 1e-8, -7])],
  ['special', tensor([6], special)],
  ['scalar', fromArray([], [42])],
  ['empty', fromArray([0, 5], [])],
  ['dense.b', fromArray([3], [0.1, 0.2, 0.3], 'float64')],
];

/** A file from a header given as JSON text (or an object) and raw data bytes, with no help from the codec. */
const rawFile = (header: string | object, data: ArrayLike<number> = [], headerLength?: bigint): Uint8Array => {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
};

/** A header whose tensor "a" is arrays nested `depth` deep (the header itself adds one level). */
const deepValue = (depth: number): string => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const entry = (shape: number[], begin: number, end: number, dtype = 'F32') => ({ dtype, shape, data_offsets: [begin, end] });

const errorOf = (bytes: Uint8Array): string => {
  const r = decodeSafetensors(bytes);
  if (E.isRight(r)) throw new Error('expected the file to be rejected');
  expect(r.left).not.toContain('\n');
  return r.left;
};

/** A minimal reader written from the format description alone. */
const independentRead = (bytes: Uint8Array) => {
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + bytes[i]!;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
  const values = (name: string): number[] => {
    const [b, e] = header[name]!.data_offsets;
    return Array.from({ length: (e - b) / 4 }, (_, i) => view.getFloat32(b + 4 * i, true));
  };
  return { n, header, values, keys: Object.keys(header) };
};

describe('safetensors encode/decode', () => {
  it('round-trips shapes, bit-exact float32 values and metadata', () => {
    const input = sample();
    const meta = { format: 'test/1', note: 'ünïcödé ✓', empty: '' };
    const r = decodeSafetensors(encodeSafetensors(input, meta));
    if (E.isLeft(r)) throw new Error(r.left);
    expect(r.right.metadata).toEqual(meta);
    expect([...r.right.tensors.keys()]).toEqual(input.map(([n]) => n));
    for (const [name, x] of input.slice(0, 4)) {
      const y = r.right.tensors.get(name)!;
      expect(y.shape).toEqual(x.shape);
      expect(y.data).toBeInstanceOf(Float32Array);
      expect(bytesOf(y)).toEqual(bytesOf(x));
    }
    // Float64 is stored as float32, rounded.
    expect(Array.from(r.right.tensors.get('dense.b')!.data)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  });

  it('accepts a record of tensors and no metadata', () => {
    const r = decodeSafetensors(encodeSafetensors({ a: fromArray([2], [1, 2]) }, {}));
    expect(E.isRight(r) && Array.from(r.right.tensors.get('a')!.data)).toEqual([1, 2]);
    expect(E.isRight(r) && r.right.metadata).toEqual({});
    const none = decodeSafetensors(rawFile({ a: entry([1], 0, 4) }, [0, 0, 0x80, 0x3f]));
    expect(E.isRight(none) && none.right.metadata).toEqual({});
  });

  it('copies the data: decoded tensors do not alias the file bytes, even at unaligned offsets', () => {
    const json = JSON.stringify({ a: entry([1], 0, 4), b: entry([2], 4, 12) });
    const pad = ' '.repeat((4 - ((8 + json.length) % 4) + 1) % 4); // data section starts at 1 mod 4
    const bytes = rawFile(json + pad, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40]);
    expect((bytes.length - 12) % 4).toBe(1);
    const r = decodeSafetensors(bytes);
    if (E.isLeft(r)) throw new Error(r.left);
    expect(Array.from(r.right.tensors.get('b')!.data)).toEqual([2, 3]);
    bytes.fill(0);
    expect(Array.from(r.right.tensors.get('a')!.data)).toEqual([1]);
    expect(r.right.tensors.get('a')!.data.buffer).not.toBe(bytes.buffer);
  });

  it('pads the header with spaces so the data starts 8-byte aligned', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors([[name, fromArray([1], [1])]], {});
      const { n } = independentRead(bytes);
      expect((8 + n) % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      expect(bytes.length).toBe(8 + n + 4);
    }
  });

  it('writes the standard layout, readable by an independent minimal reader', () => {
    const input: Array<[string, Tensor]> = [['10', fromArray([2], [1, 2])], ['2', fromArray([1, 3], [3, 4, 5])], ['b', fromArray([1], [6])]];
    const { header, values, keys } = independentRead(encodeSafetensors(input, { k: 'v' }));
    expect(header.__metadata__).toEqual({ k: 'v' });
    expect(header['2']).toEqual({ dtype: 'F32', shape: [1, 3], data_offsets: [8, 20] });
    expect(values('10')).toEqual([1, 2]);
    expect(values('2')).toEqual([3, 4, 5]);
    expect(values('b')).toEqual([6]);
    // JSON key order is the given order, even for names a JS object would reorder.
    const text = new TextDecoder().decode(encodeSafetensors(input, {}));
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(keys).toContain('__metadata__');
  });

  it('refuses duplicate and reserved names when encoding', () => {
    const x = fromArray([1], [1]);
    expect(() => encodeSafetensors([['a', x], ['a', x]], {})).toThrow(/duplicate/);
    expect(() => encodeSafetensors([['__metadata__', x]], {})).toThrow(/reserved/);
  });
});

describe('safetensors: bad files', () => {
  const good = encodeSafetensors(sample(), { a: 'b' });
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));

  it('rejects truncated files, cut anywhere', () => {
    const cuts = [0, 1, 7, 8, 9, 20, 8 + headerLength - 1, 8 + headerLength, 8 + headerLength + 5, good.length - 1];
    for (const cut of cuts) {
      const msg = errorOf(good.slice(0, cut));
      if (cut < 8) expect(msg).toMatch(/too short/);
    }
    expect(errorOf(good.slice(0, 20))).toMatch(/runs past the end/);
    expect(errorOf(good.slice(0, good.length - 1))).toMatch(/outside the \d+-byte data section/);
  });

  it('rejects a header length that lies', () => {
    expect(errorOf(rawFile({}, [], 1000n))).toMatch(/header length 1000 runs past the end of the 10-byte file/);
    expect(errorOf(rawFile({}, [], 2n ** 40n))).toBe('header length 1099511627776 is over the 1 MiB limit for a safetensors header (not a checkpoint, or corrupt)');
    expect(errorOf(rawFile({}, [], 2n ** 64n - 1n))).toMatch(/limit/);
    expect(errorOf(rawFile({}, [], 0n))).toMatch(/does not start with/);
  });

  it('reads a header of exactly MAX_HEADER_BYTES and refuses one byte more, before looking at it', () => {
    const json = `{"__metadata__":{"pad":"${'x'.repeat(MAX_HEADER_BYTES - 27)}"}}`;
    expect(json.length).toBe(MAX_HEADER_BYTES);
    expect(E.isRight(decodeSafetensors(rawFile(json)))).toBe(true);
    expect(errorOf(rawFile(`${json} `))).toMatch(/^header length 1048577 is over the 1 MiB limit/);
  });

  it('refuses a header nested deeper than MAX_HEADER_DEPTH before parsing it, with no stack overflow', () => {
    const deep = (n: number): string => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
    for (const n of [MAX_HEADER_DEPTH, 5000, 200_000]) {
      expect(errorOf(rawFile(deep(n)))).toBe(`header nests arrays or objects more than ${MAX_HEADER_DEPTH} levels deep, the limit`);
    }
    // Unclosed, as the attacker may as well send it; and brackets inside strings do not count.
    expect(errorOf(rawFile(`{"a":${'['.repeat(5000)}`))).toMatch(/more than 32 levels deep/);
    expect(errorOf(rawFile({ a: '['.repeat(5000) }))).toMatch(/^tensor "a" must be/);
    expect(errorOf(rawFile({ a: `\\"${'{'.repeat(100)}` }))).toMatch(/^tensor "a" must be/);
  });

  it('reports a bad value in a few characters, however deep or large it is', () => {
    expect(errorOf(rawFile(deepValue(MAX_HEADER_DEPTH - 1)))).toBe('tensor "a" must be { dtype: string, shape: Array<NonNegativeInt>, data_offsets: Offsets }, found [[[...]]]');
    const wide = errorOf(rawFile({ a: { dtype: Array.from({ length: 100_000 }, (_, i) => i), shape: [], data_offsets: [0, 0] } }));
    expect(wide).toBe('tensor "a".dtype must be string, found [0,1,2,3,...]');
    expect(errorOf(rawFile({ a: 'x'.repeat(10_000) }))).toMatch(/found "x{56}\.\.\.$/);
  });

  it('rejects a header that is not a JSON object', () => {
    expect(errorOf(rawFile('{"a": '))).toMatch(/not valid JSON/);
    expect(errorOf(rawFile('[1, 2]'))).toMatch(/does not start with/);
    expect(errorOf(rawFile('  {}'))).toMatch(/does not start with/);
    const badUtf8 = rawFile('{"a":"xx"}');
    badUtf8[14] = 0xff;
    expect(errorOf(badUtf8)).toMatch(/not valid UTF-8/);
  });

  it('validates each entry and the metadata', () => {
    expect(errorOf(rawFile({ a: 3 }))).toMatch(/^tensor "a" must be/);
    expect(errorOf(rawFile({ a: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toMatch(/tensor "a".dtype must be string, found nothing/);
    expect(errorOf(rawFile({ a: entry([-1], 0, 4) }, [0, 0, 0, 0]))).toMatch(/tensor "a".shape\[0\] must be a non-negative integer, found -1/);
    expect(errorOf(rawFile({ a: entry([1.5], 0, 4) }, [0, 0, 0, 0]))).toMatch(/non-negative integer, found 1.5/);
    expect(errorOf(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, [0, 0, 0, 0]))).toMatch(/data_offsets must be \[begin, end\]/);
    expect(errorOf(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', 4] } }, [0, 0, 0, 0]))).toMatch(/data_offsets must be/);
    expect(errorOf(rawFile({ __metadata__: { n: 1 } }))).toMatch(/__metadata__.n must be string, found 1/);
    expect(errorOf(rawFile({ __metadata__: [] }))).toMatch(/__metadata__ must be/);
  });

  it('names a dtype other than F32', () => {
    expect(errorOf(rawFile({ a: entry([2], 0, 4, 'F16') }, [0, 0, 0, 0]))).toBe('tensor "a" has dtype F16; only F32 is supported');
  });

  it('rejects offsets outside the data section, reversed, overlapping or with gaps', () => {
    const data = new Array(12).fill(0);
    expect(errorOf(rawFile({ a: entry([250], 0, 1000) }, data))).toMatch(/tensor "a" has data_offsets \[0, 1000\] outside the 12-byte data section/);
    expect(errorOf(rawFile({ a: entry([0], 8, 4) }, data))).toMatch(/end before they begin/);
    expect(errorOf(rawFile({ a: entry([2], 0, 8), b: entry([2], 4, 12) }, data))).toMatch(/tensor "b" overlaps tensor "a"/);
    expect(errorOf(rawFile({ a: entry([1], 0, 4), b: entry([1], 0, 4), c: entry([1], 4, 8) }, data.slice(0, 8)))).toMatch(/overlaps/);
    expect(errorOf(rawFile({ a: entry([1], 0, 4), b: entry([1], 8, 12) }, data))).toMatch(/4 unused bytes at data offset 4, before tensor "b"/);
    expect(errorOf(rawFile({ b: entry([1], 4, 8) }, data.slice(0, 8)))).toMatch(/unused bytes at data offset 0/);
  });

  it('rejects data sizes that do not match the shape', () => {
    expect(errorOf(rawFile({ a: entry([3], 0, 8) }, new Array(8).fill(0)))).toBe('tensor "a" of shape [3] needs 12 bytes, its data_offsets [0, 8] hold 8');
    expect(errorOf(rawFile({ a: entry([2, 2], 0, 12) }, new Array(12).fill(0)))).toMatch(/needs 16 bytes/);
  });

  it('rejects trailing bytes after the last tensor', () => {
    const padded = new Uint8Array(good.length + 4);
    padded.set(good);
    expect(errorOf(padded)).toBe('4 unexpected trailing bytes after the last tensor');
    expect(errorOf(rawFile({}, [1]))).toMatch(/1 unexpected trailing bytes/);
  });

  it('accepts tensors given out of order and zero-size tensors, as long as they tile the data', () => {
    const r = decodeSafetensors(rawFile({ b: entry([1], 4, 8), z: entry([0], 4, 4), a: entry([1], 0, 4) }, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]));
    expect(E.isRight(r) && [...r.right.tensors].map(([n, t]) => [n, Array.from(t.data)])).toEqual([['b', [2]], ['z', []], ['a', [1]]]);
  });
});

describe('expectTensors', () => {
  const found = new Map<string, Tensor>([['w', fromArray([2, 3], [1, 2, 3, 4, 5, 6])], ['b', fromArray([3], [1, 2, 3])]]);

  it('passes when names and shapes match exactly', () => {
    expect(E.isRight(expectTensors(found, [['b', [3]], ['w', [2, 3]]]))).toBe(true);
  });

  it('names missing tensors, wrong shapes and extra tensors', () => {
    expect(expectTensors(found, [['w', [2, 3]], ['b', [3]], ['c', [1]]])).toEqual(E.left('missing tensor "c"'));
    expect(expectTensors(found, [['w', [3, 2]], ['b', [3]]])).toEqual(E.left('tensor "w" has shape [2, 3], expected [3, 2]'));
    expect(expectTensors(found, [['w', [2, 3]], ['b', [3, 1]]])).toEqual(E.left('tensor "b" has shape [3], expected [3, 1]'));
    expect(expectTensors(found, [['w', [2, 3]]])).toEqual(E.left('unexpected tensor "b"'));
    expect(expectTensors(found, [])).toEqual(E.left('unexpected tensors "w", "b"'));
  });
});

describe('atomic file writes', () => {
  const dir = (): string => tempDir('atomic-');

  it('writes a file, replaces an existing one, and leaves no temp files', async () => {
    const d = dir();
    const path = join(d, 'ck.safetensors');
    const first = encodeSafetensors(sample(), { n: '1' });
    expect(await writeFileAtomic(path, first)()).toEqual(E.right(undefined));
    expect(new Uint8Array(readFileSync(path))).toEqual(first);
    writeFileSync(join(d, 'other'), 'x');
    const second = Uint8Array.from([1, 2, 3]);
    expect(await writeFileAtomic(path, second)()).toEqual(E.right(undefined));
    expect(new Uint8Array(readFileSync(path))).toEqual(second);
    expect(readdirSync(d).sort()).toEqual(['ck.safetensors', 'other']);
    const back = await readFileBytes(path)();
    expect(E.isRight(back) && Array.from(back.right)).toEqual([1, 2, 3]);
  });

  it('round-trips a checkpoint through the file system', async () => {
    const path = join(dir(), 'ck.safetensors');
    await writeFileAtomic(path, encodeSafetensors(sample(), { k: 'v' }))();
    const back = await readFileBytes(path)();
    const r = E.isRight(back) ? decodeSafetensors(back.right) : back;
    expect(E.isRight(r) && bytesOf(r.right.tensors.get('special')!)).toEqual(bytesOf(tensor([6], special)));
  });

  it('fails cleanly into a missing directory or onto a directory, leaving nothing', async () => {
    const d = dir();
    const missing = await writeFileAtomic(join(d, 'nope', 'ck.safetensors'), Uint8Array.from([1]))();
    expect(E.isLeft(missing) && missing.left).toMatch(/^cannot write .*ck\.safetensors: directory .*nope does not exist$/);
    mkdirSync(join(d, 'sub'));
    const ontoDir = await writeFileAtomic(join(d, 'sub'), Uint8Array.from([1]))();
    expect(E.isLeft(ontoDir) && ontoDir.left).toMatch(/^cannot write .*sub: /);
    expect(readdirSync(d)).toEqual(['sub']);
    expect(readdirSync(join(d, 'sub'))).toEqual([]);
  });

  it('reports a missing file and a directory when reading', async () => {
    const d = dir();
    expect(await readFileBytes(join(d, 'none'))()).toEqual(E.left(`cannot read ${join(d, 'none')}: no such file`));
    expect(await readFileBytes(d)()).toEqual(E.left(`cannot read ${d}: is not a regular file (a directory)`));
  });

  it('reads up to the limit and refuses more: a large file by its size, a device that never ends after the limit', async () => {
    const d = dir();
    const limit = { maxBytes: 100, what: 'a test file' };
    writeFileSync(join(d, 'hundred'), new Uint8Array(100).fill(7));
    const ok = await readFileBytes(join(d, 'hundred'), limit)();
    expect(E.isRight(ok) && [ok.right.length, ok.right.buffer.byteLength, ok.right[99]]).toEqual([100, 100, 7]);
    writeFileSync(join(d, 'more'), new Uint8Array(101));
    expect(await readFileBytes(join(d, 'more'), limit)()).toEqual(E.left(`cannot read ${join(d, 'more')}: more than 100 bytes, the limit for a test file`));
    // A sparse 1 TiB file: refused by its size, at once.
    const huge = join(d, 'huge');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 40);
    const started = performance.now();
    expect(await readFileBytes(huge, MODEL_FILE_LIMIT)()).toEqual(E.left(`cannot read ${huge}: more than 32 MiB, the limit for a checkpoint or weights file`));
    expect(await readFileBytes('/dev/zero', MODEL_FILE_LIMIT)()).toEqual(E.left('cannot read /dev/zero: is not a regular file (a character device)'));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await readFileBytes('/dev/null', limit)()).toEqual(E.left('cannot read /dev/null: is not a regular file (a character device)'));
  });
});
