// IDX files (the MNIST format) read from disk, raw or gzip-compressed; the
// format itself is checked by idx-format.ts.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { parseImages, parseLabels, type DataError, type IdxImages, type IdxLabels } from '../formats/idx.ts';

export * from '../formats/idx.ts';

// A Buffer's slice() is a view, not a copy; handing out plain Uint8Arrays keeps
// slice() meaning "copy" for the parsers below.
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Gunzips when the bytes start with the gzip magic; a `.gz` name that is not gzip is an error. */
export const decompress = (file: string, bytes: Uint8Array): E.Either<DataError, Uint8Array> => {
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!isGzip) {
    return file.endsWith('.gz')
      ? E.left({ file, message: 'not gzip (the name ends in .gz but the data does not start with 0x1f 0x8b)' })
      : E.right(bytes);
  }
  try {
    return E.right(plain(gunzipSync(bytes)));
  } catch (err) {
    return E.left({ file, message: `corrupt gzip data (${(err as Error).message})` });
  }
};

export const readBytes = (path: string): TE.TaskEither<DataError, Uint8Array> =>
  TE.tryCatch(
    async () => plain(await readFile(path)),
    (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      const message = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      return { file: path, message };
    },
  );

const load = <A>(path: string, parse: (file: string, b: Uint8Array) => E.Either<DataError, A>): TE.TaskEither<DataError, A> =>
  pipe(
    readBytes(path),
    TE.chainEitherK((raw) => decompress(path, raw)),
    TE.chainEitherK((b) => parse(path, b)),
  );

export const readImages = (path: string): TE.TaskEither<DataError, IdxImages> => load(path, parseImages);
export const readLabels = (path: string): TE.TaskEither<DataError, IdxLabels> => load(path, parseLabels);
