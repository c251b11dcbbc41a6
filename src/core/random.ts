// A random generator that is a pure value. A key never changes: you split it
// into new keys, or fold a number (an epoch, a layer index) into it, and draw
// from a key. The same key always gives the same numbers, so initialisation
// and shuffling are reproducible with no hidden state.

import { allocating, ArgumentError, describeValue, keyArg, nonNegativeInt } from './check.ts';

/**
 * A random key: a pure value that fixes every number drawn from it. Make one
 * with {@link key}, derive independent ones with {@link split} and
 * {@link foldIn}, draw with {@link normal}, {@link uniform} and
 * {@link permutation}. Drawing twice from one key gives the same numbers
 * twice, so use a new key for each purpose.
 */
export interface Key {
  /** First 32-bit word of the key's state; opaque. */
  readonly a: number;
  /** Second 32-bit word of the key's state; opaque. */
  readonly b: number;
}

// murmur3's 32-bit finaliser: a cheap, well-mixed bijection on u32.
const mix = (h0: number): number => {
  let h = h0 >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/**
 * The key of an integer seed (any safe integer, negative ones included).
 * Throws an `ArgumentError` for a seed that is not a safe integer.
 *
 * @example
 * const [kInit, kShuffle] = split(key(42));
 * const params = net.init(kInit, MNIST_SHAPE);
 */
export const key = (seed: number): Key => {
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(`key: seed must be an integer, got ${describeValue(seed)}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return { a: mix(lo ^ 0x9e3779b9), b: mix(hi + 0x7f4a7c15 + mix(lo)) };
};

/** A new key determined by `k` and `n`; different `n` give independent keys. */
export const foldIn = (k: Key, n: number): Key => ({
  a: mix(k.a ^ mix(n + 0x632be59b)),
  b: mix(k.b + Math.imul(mix(n ^ 0x85157af5), 0x9e3779b1)),
});

/** `count` (default 2) independent keys from `k`: key i is foldIn(k, i). */
export const split = (k: Key, count = 2): Key[] => {
  keyArg('split', 'key', k);
  const n = nonNegativeInt('split', 'count', count);
  return allocating('split', 'the keys', n, 16, () => Array.from({ length: n }, (_, i) => foldIn(k, i)));
};

// xoshiro128** seeded from the key; the state lives only inside one draw.
const stream = (k: Key): (() => number) => {
  let s0 = mix(k.a ^ 0xdeadbeef) | 1;
  let s1 = mix(k.b ^ 0x41c64e6d);
  let s2 = mix(k.a + k.b + 0x6c078965);
  let s3 = mix(k.b - k.a + 0x2545f491);
  return () => {
    const r = Math.imul(((Math.imul(s1, 5) << 7) | (Math.imul(s1, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return r;
  };
};

/** `n` numbers uniform in [0, 1), with 53 random bits each, in a fresh Float64Array. */
export const uniform = (k: Key, n: number): Float64Array => {
  keyArg('uniform', 'key', k);
  nonNegativeInt('uniform', 'n', n);
  const next = stream(k);
  const out = allocating('uniform', 'the draw', n, 8, () => new Float64Array(n));
  for (let i = 0; i < n; i++) out[i] = ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  return out;
};

/** `n` standard normal numbers (Box-Muller), in a fresh Float64Array. */
export const normal = (k: Key, n: number): Float64Array => {
  nonNegativeInt('normal', 'n', n);
  const u = uniform(k, n + (n % 2));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]));
    const t = 2 * Math.PI * u[i + 1];
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
};

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export const permutation = (k: Key, n: number): Uint32Array => {
  nonNegativeInt('permutation', 'n', n);
  const u = uniform(k, n);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
};
