// IDX files (the MNIST format) read from disk, raw or gzip-compressed, never
// more than MAX_IDX_BYTES of either; the format itself is checked by
// formats/idx.ts.

import { constants, gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { declaredLength, parseImages, parseLabels, type DataError, type IdxImages, type IdxLabels } from '../formats/idx.ts';
import { IDX_FILE_LIMIT, MAX_IDX_BYTES, showBytes } from '../formats/limits.ts';
import { readFileUpTo } from './atomic-write.ts';

export * from '../formats/idx.ts';

// A Buffer's slice() is a view, not a copy; handing out plain Uint8Arrays keeps
// slice() meaning "copy" for the parsers below.
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Compressed bytes enough for any IDX header; deflate expands them at most about 1000-fold. */
const HEAD_BYTES = 256;

/** The first decompressed bytes, from the first HEAD_BYTES of the gzip data alone; empty if they do not decompress. */
const gunzipHead = (bytes: Uint8Array): Uint8Array => {
  try {
    return gunzipSync(bytes.subarray(0, HEAD_BYTES), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
};

/**
 * Gunzips when the bytes start with the gzip magic; a `.gz` name that is not
 * gzip is an error. Decompresses at most the bytes the file's header declares
 * (read from its first bytes), and never more than MAX_IDX_BYTES, so a gzip
 * bomb stops at its header or at the limit.
 */
export const decompress = (file: string, kind: 'images' | 'labels', bytes: Uint8Array): E.Either<DataError, Uint8Array> => {
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!isGzip) {
    return file.endsWith('.gz')
      ? E.left({ file, message: 'not gzip (the name ends in .gz but the data does not start with 0x1f 0x8b)' })
      : E.right(bytes);
  }
  const declared = declaredLength(file, kind, gunzipHead(bytes));
  if (E.isLeft(declared)) return declared;
  const n = declared.right;
  if (n !== null && n > MAX_IDX_BYTES) {
    return E.left({ file, message: `its header declares ${n} bytes, more than ${showBytes(MAX_IDX_BYTES)}, the limit for an IDX file` });
  }
  try {
    return E.right(plain(gunzipSync(bytes, { maxOutputLength: n ?? MAX_IDX_BYTES })));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
      return E.left({ file, message: `corrupt gzip data (${(err as Error).message})` });
    }
    return E.left({
      file,
      message: n === null
        ? `decompresses to more than ${showBytes(MAX_IDX_BYTES)}, the limit for an IDX file`
        : `decompresses to more than the ${n} bytes its header declares`,
    });
  }
};

/** The file's bytes, at most MAX_IDX_BYTES of them. */
export const readBytes = (path: string): TE.TaskEither<DataError, Uint8Array> =>
  pipe(readFileUpTo(path, IDX_FILE_LIMIT), TE.mapLeft((message) => ({ file: path, message })));

const load = <A>(path: string, kind: 'images' | 'labels', parse: (file: string, b: Uint8Array) => E.Either<DataError, A>): TE.TaskEither<DataError, A> =>
  pipe(
    readBytes(path),
    TE.chainEitherK((raw) => decompress(path, kind, raw)),
    TE.chainEitherK((b) => parse(path, b)),
  );

export const readImages = (path: string): TE.TaskEither<DataError, IdxImages> => load(path, 'images', parseImages);
export const readLabels = (path: string): TE.TaskEither<DataError, IdxLabels> => load(path, 'labels', parseLabels);
