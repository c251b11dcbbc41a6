// PNG files for the report pictures and the predict command: the only part of
// the image code that needs Node (pngjs works on Buffers and streams).

import * as E from 'fp-ts/lib/Either.js';
import { PNG } from 'pngjs';
import type { Raster } from '../pictures/raster.ts';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const encodePng = (r: Raster): Uint8Array => {
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.rgba.buffer, r.rgba.byteOffset, r.rgba.byteLength);
  // Copied out so callers never hold a view into Node's shared Buffer pool.
  return Uint8Array.from(PNG.sync.write(png));
};

/** Any colour type and bit depth pngjs reads (palette, gray, 16-bit, ...) comes back as 8-bit RGBA. */
export const decodePng = (bytes: Uint8Array): E.Either<string, DecodedPng> => {
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b)) return E.left('not a PNG file (bad signature)');
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return E.right({ width: png.width, height: png.height, rgba: Uint8Array.from(png.data) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return E.left(`unreadable PNG: ${msg.replace(/\s+/g, ' ').trim()}`);
  }
};
