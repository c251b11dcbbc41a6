// A run's directory is its own: a run writes only into a directory it created
// or found empty, and a default name that another run took in the same second
// gets a suffix. mkdir without `recursive` fails on a name that exists, so two
// runs cannot both create the same directory.

import { mkdir, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { makeDirectory, reason } from '../platform/atomic-write.ts';

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** Creates `dir`: 'created', 'exists' when the name is taken, or why neither. */
const createOne = (dir: string): TE.TaskEither<string, 'created' | 'exists'> => async () => {
  try {
    await mkdir(dir);
    return E.right('created');
  } catch (err) {
    return code(err) === 'EEXIST' ? E.right('exists') : E.left(`cannot create directory ${dir}: ${reason(err, dir)}`);
  }
};

const isEmptyDirectory = (dir: string): TE.TaskEither<string, boolean> => async () => {
  try {
    return E.right((await readdir(dir)).length === 0);
  } catch (err) {
    return E.left(code(err) === 'ENOTDIR' ? `${dir} is a file, not a directory` : `cannot read ${dir}: ${reason(err, dir)}`);
  }
};

const emptyOnceCleaned = (dir: string): TE.TaskEither<string, boolean> =>
  pipe(isEmptyDirectory(dir), TE.chain((empty) => (empty ? TE.right(true) : pipe(removeStaleTemps(dir), TE.chain(() => isEmptyDirectory(dir))))));

/**
 * `dir` for a new run: created now, or an existing directory that is empty
 * once the temp files of dead processes are gone; one that holds files is
 * refused with `busy`.
 */
export const claimDirectory = (dir: string, busy: string): TE.TaskEither<string, void> =>
  pipe(
    makeDirectory(dirname(dir)),
    TE.chain(() => createOne(dir)),
    TE.chain((r) => (r === 'created' ? TE.right(true) : emptyOnceCleaned(dir))),
    TE.chain((empty) => (empty ? TE.right(undefined) : TE.left(busy))),
  );

/** A new directory named `base`, or `base-2`, `base-3`, ... if that name is taken; returns the name. */
export const claimFreshDirectory = (base: string): TE.TaskEither<string, string> => {
  const attempt = (n: number): TE.TaskEither<string, string> => {
    const dir = n === 1 ? base : `${base}-${n}`;
    return pipe(
      createOne(dir),
      TE.chain((r) => (r === 'created' ? TE.right(dir) : n < 1000 ? attempt(n + 1) : TE.left(`cannot create directory ${base}: every name up to ${dir} is taken`))),
    );
  };
  return pipe(makeDirectory(dirname(base)), TE.chain(() => attempt(1)));
};

/** Whether process `pid` runs (one we may not signal runs too). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
};

/**
 * Removes the temporary files in `dir` that writers killed mid-save left
 * (`<name>.<pid>.<hex>.tmp`, see atomic-write.ts: the checkpoint's, the
 * reports', the lock's), those of processes no longer alive; returns their names.
 */
export const removeStaleTemps = (dir: string): TE.TaskEither<string, readonly string[]> => async () => {
  try {
    const stale = (await readdir(dir)).filter((f) => {
      const m = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
      return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
    });
    await Promise.all(stale.map((f) => unlink(join(dir, f)).catch(() => undefined)));
    return E.right(stale);
  } catch (err) {
    return E.left(`cannot read ${dir}: ${reason(err, dir)}`);
  }
};
