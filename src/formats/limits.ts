// The most the program reads from any file, in one place. Every input has a
// stated maximum, checked before the bytes are read or allocated, and every
// refusal names its limit, so a hostile or broken file (a device that never
// ends, a gzip bomb, a PNG declaring 20000x20000) costs a line, not gigabytes.

/**
 * The largest checkpoint or weights file read. The seed network's weights are
 * 1.4 MB and a checkpoint with Adam's state 4.3 MB.
 */
export const MAX_MODEL_FILE_BYTES = 32 * 2 ** 20;

/**
 * The longest safetensors JSON header read. Ours are a few KB (the metadata
 * grows by about 250 bytes an epoch).
 */
export const MAX_HEADER_BYTES = 2 ** 20;

/** The deepest nesting of arrays and objects in a safetensors header; ours nest 3 deep. */
export const MAX_HEADER_DEPTH = 32;

/**
 * The most bytes an IDX file may hold, decompressed (and the largest file read
 * from disk). MNIST's largest, the training images, holds 47,040,016.
 */
export const MAX_IDX_BYTES = 128 * 2 ** 20;

/** The widest and tallest PNG read: 4096x4096, 64 MiB as RGBA. */
export const MAX_PNG_SIDE = 4096;

/**
 * The most image data a PNG may decompress to: that of a 4096x4096 8-bit RGBA
 * picture, interlaced (4 bytes a pixel, and a filter byte for each row of
 * Adam7's seven passes: 15/8 of the rows of a plain one), so every colour
 * type at 8 bits or fewer is read up to 4096x4096, interlaced or not. A
 * 16-bit RGBA picture of that size would need twice as much, and pngjs about
 * 700 MiB to decode it: 16-bit RGB and RGBA pictures are read up to this
 * much data (about 2896x2896 RGBA).
 */
export const MAX_PNG_DATA_BYTES = 4 * MAX_PNG_SIDE * MAX_PNG_SIDE + (15 * MAX_PNG_SIDE) / 8;

/** The largest PNG file read. */
export const MAX_PNG_FILE_BYTES = 64 * 2 ** 20;

/** A limit on a read: at most `maxBytes`, and the kind of file it is for, to name in the refusal. */
export interface ReadLimit {
  readonly maxBytes: number;
  /** Completes "the limit for ...": "a checkpoint or weights file", "a PNG file". */
  readonly what: string;
}

export const MODEL_FILE_LIMIT: ReadLimit = { maxBytes: MAX_MODEL_FILE_BYTES, what: 'a checkpoint or weights file' };
export const PNG_FILE_LIMIT: ReadLimit = { maxBytes: MAX_PNG_FILE_BYTES, what: 'a PNG file' };
export const IDX_FILE_LIMIT: ReadLimit = { maxBytes: MAX_IDX_BYTES, what: 'an IDX file' };

/** A byte count for an error line: `32 MiB` when whole mebibytes, else bytes. */
export const showBytes = (n: number): string => (n >= 2 ** 20 && n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : `${n} bytes`);
