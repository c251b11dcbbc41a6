// safetensors (https://github.com/huggingface/safetensors) for checkpoints, so
// that other tools, Python's `safetensors` among them, can read our weights.
// Pure over bytes and free of Node APIs: the same code runs in a web page.
// Layout: u64 LE header length N | N bytes of JSON header | raw tensor data.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../core/result.ts';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { sizeOf, tensor, type Shape, type Tensor } from '../core/tensor.ts';
import { MAX_HEADER_BYTES, MAX_HEADER_DEPTH, showBytes } from './limits.ts';

export { MAX_HEADER_BYTES, MAX_HEADER_DEPTH };

/** A decoded safetensors file. */
export interface Safetensors {
  /**
   * Every tensor by name, as float32, in the header's order, except that
   * names that are array indices ("0", "12") come first, in numeric order, as
   * a parsed JSON object holds them.
   */
  readonly tensors: Map<string, Tensor>;
  /** The `__metadata__` strings; empty when the file has none. */
  readonly metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

// Byte copies keep NaN payloads bit-exact, which a trip through a JS number
// (DataView) does not promise; the DataView path only serves big-endian hosts.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const showShape = (s: Shape): string => `[${s.join(', ')}]`;

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

const writeF32 = (out: Uint8Array, offset: number, data: Readonly<Float32Array | Float64Array>): void => {
  if (data instanceof Float32Array && LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const v = new DataView(out.buffer, out.byteOffset + offset, 4 * data.length);
  for (let i = 0; i < data.length; i++) v.setFloat32(4 * i, data[i]!, true);
};

const readF32 = (bytes: Uint8Array, begin: number, end: number): Float32Array => {
  const out = new Float32Array((end - begin) / 4);
  // Not bytes.slice(): on a Node Buffer that is a view, not a copy.
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(begin, end));
    return out;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + begin, end - begin);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(4 * i, true);
  return out;
};

/**
 * A safetensors file: the tensors, named, as F32 little-endian, and the
 * metadata strings in `__metadata__`. Tensors go into the data section in
 * the order given, and their header keys in the same order. Float64 tensors
 * are rounded to F32. Throws RangeError on a duplicate or reserved name, or
 * a shape that does not match the data: that is a bug in the caller, not
 * bad input.
 *
 * @example
 * const bytes = encodeSafetensors({ w: fromArray([2, 2], [1, 2, 3, 4]) }, { note: 'hi' });
 * const r = decodeSafetensors(bytes);
 * if (r._tag === 'Right') toArray(r.right.tensors.get('w')!);   // [1, 2, 3, 4]
 */
export const encodeSafetensors = (
  tensors: ReadonlyArray<readonly [string, Tensor]> | Readonly<Record<string, Tensor>>,
  metadata: Readonly<Record<string, string>>,
): Uint8Array => {
  const list: ReadonlyArray<readonly [string, Tensor]> = Array.isArray(tensors)
    ? (tensors as ReadonlyArray<readonly [string, Tensor]>)
    : Object.entries(tensors as Readonly<Record<string, Tensor>>);
  const seen = new Set<string>();
  let offset = 0;
  // Built by hand because a JS object would move integer-like names to the front.
  const parts = [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`];
  for (const [name, x] of list) {
    if (name === METADATA_KEY) throw new RangeError(`encodeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new RangeError(`encodeSafetensors: duplicate tensor name "${name}"`);
    if (sizeOf(x.shape) !== x.data.length) {
      throw new RangeError(`encodeSafetensors: tensor "${name}" has shape ${showShape(x.shape)} but ${x.data.length} values`);
    }
    seen.add(name);
    const end = offset + 4 * x.data.length;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: 'F32', shape: x.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const [, x] of list) {
    writeF32(out, at, x.data);
    at += 4 * x.data.length;
  }
  return out;
};

const isIndex = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

const NonNegativeInt = new t.Type<number, number, unknown>(
  'NonNegativeInt',
  isIndex,
  (u, c) => (isIndex(u) ? t.success(u) : t.failure(u, c, 'a non-negative integer')),
  (n) => n,
);

// Not t.tuple, which silently drops extra elements: [begin, end, junk] is corrupt.
const isOffsets = (u: unknown): u is [number, number] => Array.isArray(u) && u.length === 2 && u.every(isIndex);
const Offsets = new t.Type<[number, number], [number, number], unknown>(
  'Offsets',
  isOffsets,
  (u, c) => (isOffsets(u) ? t.success(u) : t.failure(u, c, '[begin, end], two non-negative integers')),
  (o) => o,
);

const Entry = t.type({
  dtype: t.string,
  shape: t.array(NonNegativeInt),
  data_offsets: Offsets,
});
type Entry = t.TypeOf<typeof Entry>;

const Metadata = t.record(t.string, t.string);

/**
 * A value from the header, shortened: at most two levels and four items a
 * level, so that no error costs more than the few items it shows, however
 * large or deep the value.
 */
const preview = (u: unknown, depth = 2): string => {
  const items = <A>(xs: readonly A[], show: (x: A) => string): string => xs.slice(0, 4).map(show).join(',') + (xs.length > 4 ? ',...' : '');
  if (Array.isArray(u)) return depth === 0 ? '[...]' : `[${items(u, (v) => preview(v, depth - 1))}]`;
  if (u !== null && typeof u === 'object') {
    return depth === 0 ? '{...}' : `{${items(Object.entries(u), ([k, v]) => `${preview(k)}:${preview(v, depth - 1)}`)}}`;
  }
  const s = typeof u === 'string' ? JSON.stringify(u.slice(0, 61)) : String(u);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The first failure as "<path> must be <what>, found <value>", on one line. */
const report = (what: string, errs: t.Errors): string => {
  const e = errs[0];
  if (e === undefined) return `${what} is invalid`;
  const path = e.context.map((c) => c.key).filter((k) => k !== '');
  const last = e.context[e.context.length - 1];
  const expected = e.message ?? last?.type.name ?? 'valid';
  let found = e.value === undefined ? 'nothing' : preview(e.value);
  if (found.length > 60) found = `${found.slice(0, 57)}...`;
  return `${what}${path.map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('')} must be ${expected}, found ${found}`;
};

const decodeWith = <A>(codec: t.Decoder<unknown, A>, what: string, u: unknown): Result<A> =>
  pipe(codec.decode(u), E.mapLeft((errs) => report(what, errs)));

interface Located {
  readonly name: string;
  readonly entry: Entry;
}

/** Whether arrays and objects in JSON text nest deeper than `limit`, counted without parsing (and so without recursion). */
export const nestsDeeperThan = (text: string, limit: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
};

const readHeader = (bytes: Uint8Array): Result<{ header: Record<string, unknown>; dataStart: number }> => {
  if (bytes.length < 8) return E.left(`file is ${bytes.length} bytes, too short for the 8-byte safetensors header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    return E.left(`header length ${n} is over the ${showBytes(MAX_HEADER_BYTES)} limit for a safetensors header (not a checkpoint, or corrupt)`);
  }
  const dataStart = 8 + Number(n);
  if (dataStart > bytes.length) return E.left(`header length ${n} runs past the end of the ${bytes.length}-byte file (truncated or corrupt)`);
  const raw = bytes.subarray(8, dataStart);
  if (raw[0] !== 0x7b) return E.left('header does not start with "{" (not a safetensors file, or corrupt)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return E.left('header is not valid UTF-8');
  }
  // Before JSON.parse: whatever reads the parsed value (the codecs, an error
  // report) would otherwise recurse as deep as the file says.
  if (nestsDeeperThan(text, MAX_HEADER_DEPTH)) return E.left(`header nests arrays or objects more than ${MAX_HEADER_DEPTH} levels deep, the limit`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left(`header is not valid JSON (${e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e)})`);
  }
  return pipe(
    decodeWith(t.UnknownRecord, 'header', json),
    E.map((header) => ({ header, dataStart })),
  );
};

const checkEntry = (name: string, u: unknown, dataLength: number): Result<Located> =>
  pipe(
    decodeWith(Entry, `tensor "${name}"`, u),
    E.chain((entry) => {
      const [begin, end] = entry.data_offsets;
      if (entry.dtype !== 'F32') return E.left(`tensor "${name}" has dtype ${entry.dtype}; only F32 is supported`);
      if (begin > end) return E.left(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
      if (end > dataLength) {
        return E.left(`tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
      }
      const want = 4 * sizeOf(entry.shape);
      if (end - begin !== want) {
        return E.left(`tensor "${name}" of shape ${showShape(entry.shape)} needs ${want} bytes, its data_offsets [${begin}, ${end}] hold ${end - begin}`);
      }
      return E.right({ name, entry });
    }),
  );

/** Sorted by offset, the tensors must cover the data section exactly: no gap, no overlap, nothing after. */
const checkTiling = (located: readonly Located[], dataLength: number): Result<void> => {
  const sorted = [...located].sort((a, b) => a.entry.data_offsets[0] - b.entry.data_offsets[0] || a.entry.data_offsets[1] - b.entry.data_offsets[1]);
  let cursor = 0;
  let previous: string | null = null;
  for (const { name, entry } of sorted) {
    const [begin] = entry.data_offsets;
    if (begin < cursor) return E.left(`tensor "${name}" overlaps tensor "${previous}" (it begins at byte ${begin}, before byte ${cursor})`);
    if (begin > cursor) {
      return E.left(`${begin - cursor} unused bytes at data offset ${cursor}, before tensor "${name}" (tensors must be contiguous)`);
    }
    cursor = entry.data_offsets[1];
    previous = name;
  }
  if (cursor < dataLength) return E.left(`${dataLength - cursor} unexpected trailing bytes after the last tensor`);
  return E.right(undefined);
};

/**
 * Reads a safetensors file. Every tensor comes back as a fresh Float32Array:
 * nothing aliases `bytes`. Fails, with a one-line reason, on a header that is
 * over 1 MiB or nested over 32 levels deep (`MAX_HEADER_BYTES`,
 * `MAX_HEADER_DEPTH`), not JSON or malformed, a dtype other than F32, offsets outside
 * the data or not tiling it exactly, or a shape that does not fit its bytes.
 */
export const decodeSafetensors = (bytes: Uint8Array): Result<Safetensors> =>
  pipe(
    readHeader(bytes),
    E.chain(({ header, dataStart }) => {
      const dataLength = bytes.length - dataStart;
      const located: Located[] = [];
      for (const [name, u] of Object.entries(header)) {
        if (name === METADATA_KEY) continue;
        const r = checkEntry(name, u, dataLength);
        if (E.isLeft(r)) return r;
        located.push(r.right);
      }
      return pipe(
        // Optional in the format; the reference writer leaves it out when there is none.
        decodeWith(Metadata, METADATA_KEY, header[METADATA_KEY] ?? {}),
        E.chainFirst(() => checkTiling(located, dataLength)),
        E.map((metadata) => {
          const tensors = new Map<string, Tensor>();
          for (const { name, entry } of located) {
            const [begin, end] = entry.data_offsets;
            tensors.set(name, tensor(entry.shape, readF32(bytes, dataStart + begin, dataStart + end)));
          }
          return { tensors, metadata: { ...metadata } };
        }),
      );
    }),
  );

const listNames = (names: readonly string[]): string => {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
};

/**
 * Exactly the expected tensors with exactly the expected shapes; returns
 * `found` unchanged, or fails naming the missing, misshapen or unexpected
 * tensors.
 */
export const expectTensors = <M extends ReadonlyMap<string, Tensor>>(
  found: M,
  expected: ReadonlyArray<readonly [string, Shape]>,
): Result<M> => {
  const missing = expected.filter(([name]) => !found.has(name)).map(([name]) => name);
  if (missing.length > 0) return E.left(`missing tensor${missing.length > 1 ? 's' : ''} ${listNames(missing)}`);
  for (const [name, shape] of expected) {
    const actual = found.get(name)!.shape;
    if (!sameShape(actual, shape)) return E.left(`tensor "${name}" has shape ${showShape(actual)}, expected ${showShape(shape)}`);
  }
  const wanted = new Set(expected.map(([name]) => name));
  const extra = [...found.keys()].filter((name) => !wanted.has(name));
  if (extra.length > 0) return E.left(`unexpected tensor${extra.length > 1 ? 's' : ''} ${listNames(extra)}`);
  return E.right(found);
};
