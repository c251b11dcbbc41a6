// The IDX format (MNIST's): parsing and checking every part of it, pure over
// bytes and free of Node APIs, so a web page parses the same way. Errors are
// values naming the file and what is wrong.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../core/result.ts';
import { pipe } from 'fp-ts/lib/function.js';

/** Why a data file was refused. */
export interface DataError {
  /** The file's name, as given to the parser. */
  readonly file: string;
  /** What is wrong with it, one line. */
  readonly message: string;
}

/** The error as one line: `file: message`. */
export const formatDataError = (e: DataError): string => `${e.file}: ${e.message}`;

/** The contents of an IDX images file. */
export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** count · rows · cols bytes, image after image, row-major (a copy of the file's). */
  readonly pixels: Uint8Array;
}

/** The contents of an IDX labels file. */
export interface IdxLabels {
  readonly count: number;
  /** One digit 0-9 per image (a copy of the file's). */
  readonly labels: Uint8Array;
}

export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

const header = (file: string, b: Uint8Array, magic: number, dims: number): E.Either<DataError, number[]> => {
  const kind = magic === IMAGES_MAGIC ? 'images' : 'labels';
  const need = 4 + 4 * dims;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Fewer than 4 bytes cannot hold a magic number: report it as a truncated header.
  const found = b.length >= 4 ? v.getUint32(0, false) : magic;
  if (found !== magic) return E.left({ file, message: `wrong magic number ${hex(found)} (expected ${hex(magic)} for ${kind})` });
  if (b.length < need) return E.left({ file, message: `truncated header (${b.length} bytes, an IDX ${kind} header has ${need})` });
  return E.right(Array.from({ length: dims }, (_, i) => v.getUint32(4 + 4 * i, false)));
};

/**
 * The bytes an IDX file must hold, header included, by its header alone:
 * `head` is the file's first bytes, enough for the header or more. Right(null)
 * when `head` is too short to tell; fails on a wrong magic number. Lets a
 * reader cap what it decompresses at what the file declares, before it
 * decompresses or allocates the rest.
 */
export const declaredLength = (file: string, kind: 'images' | 'labels', head: Uint8Array): Result<number | null, DataError> => {
  const [magic, dims] = kind === 'images' ? [IMAGES_MAGIC, 3] : [LABELS_MAGIC, 1];
  if (head.length < 4 + 4 * dims) return E.right(null);
  return pipe(
    header(file, head, magic, dims),
    E.map((d) => 4 + 4 * dims + d.reduce((a, b) => a * b, 1)),
  );
};

const checkLength = (file: string, b: Uint8Array, headerBytes: number, body: number, what: string): Result<void, DataError> => {
  const want = headerBytes + body;
  if (b.length < want) return E.left({ file, message: `truncated: ${what} need ${want} bytes, the data has ${b.length}` });
  if (b.length > want) return E.left({ file, message: `${b.length - want} unexpected trailing bytes after ${what}` });
  return E.right(undefined);
};

/**
 * Parses the bytes of an IDX images file (magic 0x00000803, uncompressed);
 * `file` names it in errors. Fails on a wrong magic number, a truncated
 * header or body, trailing bytes, or zero-sized images.
 */
export const parseImages = (file: string, b: Uint8Array): Result<IdxImages, DataError> =>
  pipe(
    header(file, b, IMAGES_MAGIC, 3),
    E.chain(([count = 0, rows = 0, cols = 0]) => {
      if (rows === 0 || cols === 0) return E.left({ file, message: `zero-sized images (${rows} rows x ${cols} cols)` });
      return pipe(
        checkLength(file, b, 16, count * rows * cols, `${count} images of ${rows}x${cols}`),
        E.map(() => ({ count, rows, cols, pixels: b.slice(16) })),
      );
    }),
  );

/**
 * Parses the bytes of an IDX labels file (magic 0x00000801, uncompressed);
 * `file` names it in errors. Fails on a wrong magic number, a truncated
 * header or body, trailing bytes, or a label that is not a digit 0-9.
 */
export const parseLabels = (file: string, b: Uint8Array): Result<IdxLabels, DataError> =>
  pipe(
    header(file, b, LABELS_MAGIC, 1),
    E.chain(([count = 0]) => pipe(checkLength(file, b, 8, count, `${count} labels`), E.map(() => count))),
    E.chain((count) => {
      const labels = b.slice(8);
      const bad = labels.findIndex((l) => l > 9);
      return bad >= 0
        ? E.left({ file, message: `label ${labels[bad]} at index ${bad} is not a digit 0-9` })
        : E.right({ count, labels });
    }),
  );
