// PNG files for the report pictures and the predict command: the only part of
// the image code that needs Node (pngjs works on Buffers and streams).
// Decoding reads the header and inflates the image data here first: a size
// over MAX_PNG_SIDE or MAX_PNG_DATA_BYTES is refused before anything is
// allocated, and image data of any other length than the header implies is
// refused before pngjs sees it (given short data, pngjs unfilters memory it
// never wrote, and its answer changes from run to run).

import { constants, crc32, inflateSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { PNG } from 'pngjs';
import { MAX_PNG_DATA_BYTES, MAX_PNG_SIDE } from '../formats/limits.ts';
import type { Raster } from '../pictures/raster.ts';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` start as a PNG file does (its 8-byte signature), however the rest reads. */
export const hasPngSignature = (bytes: Uint8Array): boolean => bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);

export const encodePng = (r: Raster): Uint8Array => {
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.rgba.buffer, r.rgba.byteOffset, r.rgba.byteLength);
  // Copied out so callers never hold a view into Node's shared Buffer pool.
  return Uint8Array.from(PNG.sync.write(png));
};

/** Samples per pixel, and the bit depths the standard allows, by colour type. */
const COLOUR_TYPES: Readonly<Record<number, { readonly name: string; readonly channels: number; readonly depths: readonly number[] }>> = {
  0: { name: 'gray', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'gray and alpha', channels: 2, depths: [8, 16] },
  6: { name: 'RGBA', channels: 4, depths: [8, 16] },
};

/** Adam7's passes: first column and row, column and row steps. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

interface Header {
  readonly width: number;
  readonly height: number;
  /** "28x28 8-bit gray", for errors. */
  readonly kind: string;
  /** The exact length of the decompressed image data: every row's filter byte and packed samples. */
  readonly dataBytes: number;
}

/** The IHDR chunk's fields, checked: a size within MAX_PNG_SIDE, a colour type and bit depth the standard defines. */
const readHeader = (ihdr: Uint8Array): E.Either<string, Header> => {
  if (ihdr.length !== 13) return E.left(`IHDR chunk is ${ihdr.length} bytes, not 13`);
  const v = new DataView(ihdr.buffer, ihdr.byteOffset, 13);
  const width = v.getUint32(0, false);
  const height = v.getUint32(4, false);
  const [depth = 0, colourType = 0, compression = 0, filter = 0, interlace = 0] = ihdr.subarray(8);
  if (width === 0 || height === 0) return E.left(`image is ${width}x${height} pixels`);
  if (width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    return E.left(`image is ${width}x${height} pixels, more than ${MAX_PNG_SIDE}x${MAX_PNG_SIDE}, the limit`);
  }
  const type = COLOUR_TYPES[colourType];
  if (type === undefined) return E.left(`colour type ${colourType} is not a PNG colour type`);
  if (!type.depths.includes(depth)) return E.left(`bit depth ${depth} is not allowed with colour type ${colourType}`);
  if (compression !== 0) return E.left(`compression method ${compression} is not a PNG compression method (only 0, deflate)`);
  if (filter !== 0) return E.left(`filter method ${filter} is not a PNG filter method (only 0)`);
  if (interlace > 1) return E.left(`interlace method ${interlace} is not a PNG interlace method`);
  const rowsBytes = (w: number, h: number): number => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * type.channels * depth) / 8)));
  const dataBytes = interlace === 0
    ? rowsBytes(width, height)
    : ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rowsBytes(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
  const kind = `${width}x${height} ${depth}-bit ${type.name}${interlace === 1 ? ' interlaced' : ''}`;
  if (dataBytes > MAX_PNG_DATA_BYTES) {
    return E.left(`a ${kind} image holds ${dataBytes} bytes of image data, more than ${MAX_PNG_DATA_BYTES} (an interlaced 4096x4096 8-bit RGBA image's), the limit`);
  }
  return E.right({ width, height, kind, dataBytes });
};

/** The header chunk and the image data (IDAT chunks, joined), walking the chunks to IEND. */
const chunks = (bytes: Uint8Array): E.Either<string, { readonly ihdr: Uint8Array; readonly idat: Uint8Array }> => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let ihdr: Uint8Array = new Uint8Array(0);
  for (let at = SIGNATURE.length; ;) {
    if (at + 8 > bytes.length) return E.left(`truncated: the file ends at byte ${bytes.length}, before its IEND chunk`);
    const length = v.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) return E.left(`truncated: chunk ${JSON.stringify(type)} at byte ${at} runs past the end of the ${bytes.length}-byte file`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    // The CRC covers the type and the data; pngjs would report a bad one as something else.
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== v.getUint32(at + 8 + length, false)) return E.left(`chunk ${JSON.stringify(type)} at byte ${at} fails its CRC check (a damaged file)`);
    if (at === SIGNATURE.length) {
      if (type !== 'IHDR') return E.left(`the first chunk is ${JSON.stringify(type)}, not IHDR`);
      ihdr = data;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') return idat.length === 0 ? E.left('no image data (no IDAT chunk)') : E.right({ ihdr, idat: Buffer.concat(idat) });
    at = end;
  }
};

/** The image data inflated, if it is exactly the length the header implies. */
const checkImageData = (h: Header, idat: Uint8Array): E.Either<string, void> => {
  let n: number;
  try {
    n = inflateSync(idat, { maxOutputLength: h.dataBytes, finishFlush: constants.Z_SYNC_FLUSH }).length;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return E.left(`image data decompresses to more than the ${h.dataBytes} bytes a ${h.kind} image holds`);
    return E.left(`corrupt image data (${(e as Error).message})`);
  }
  return n === h.dataBytes ? E.right(undefined) : E.left(`image data decompresses to ${n} bytes, a ${h.kind} image needs ${h.dataBytes} (truncated or corrupt)`);
};

/**
 * Any colour type and bit depth pngjs reads (palette, gray, 16-bit, ...)
 * comes back as 8-bit RGBA. Fails with one line, and always the same line
 * for the same bytes, on anything but a whole PNG of at most
 * MAX_PNG_SIDE x MAX_PNG_SIDE pixels and MAX_PNG_DATA_BYTES of image data.
 */
export const decodePng = (bytes: Uint8Array): E.Either<string, DecodedPng> => {
  if (!hasPngSignature(bytes)) return E.left('not a PNG file (bad signature)');
  const checked = pipe(chunks(bytes), E.chain(({ ihdr, idat }) => pipe(readHeader(ihdr), E.chain((h) => checkImageData(h, idat)))));
  if (E.isLeft(checked)) return E.left(`unreadable PNG: ${checked.left}`);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return E.right({ width: png.width, height: png.height, rgba: Uint8Array.from(png.data) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return E.left(`unreadable PNG: ${msg.replace(/\s+/g, ' ').trim()}`);
  }
};
