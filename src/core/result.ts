// The result of something that can fail on bad input (a file's bytes, a
// checkpoint's header): a value, or why not, as data rather than an
// exception. It has exactly the shape of fp-ts's Either, so fp-ts users pass
// it to E.chain, E.fold and pipe as it is, while the library's published
// types name no package of its own.

/** Why something failed: `left` says why (a one-line message, unless stated otherwise). */
export interface Failure<E = string> {
  readonly _tag: 'Left';
  readonly left: E;
}

/** What it gave: `right` is the value. */
export interface Success<A> {
  readonly _tag: 'Right';
  readonly right: A;
}

/**
 * A value or why not; structurally fp-ts's `Either<E, A>`.
 *
 * @example
 * const r = decodeSafetensors(bytes);
 * if (r._tag === 'Left') console.error(r.left);
 * else console.log([...r.right.tensors.keys()]);
 */
export type Result<A, E = string> = Failure<E> | Success<A>;
