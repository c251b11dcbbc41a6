// What a file given in a model's place or an image's place is, from its first
// bytes: arguments given in the wrong order (`predict digit.png
// model.safetensors`) are named as such, not as a corrupt file.

import { hasPngSignature } from '../platform/png.ts';
import { synopsisOf, type CommandName } from './flags.ts';

/**
 * Whether `bytes` start as a safetensors file does: an 8-byte little-endian
 * header length that fits in the file, then "{". Not a check of the file,
 * only of what it claims to be.
 */
export const looksLikeSafetensors = (bytes: Uint8Array): boolean => {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
};

/** For a PNG picture's bytes given where `command` takes its model (none: --resume's checkpoint), the line saying so; otherwise null. */
export const notAModel = (path: string, bytes: Uint8Array, command?: CommandName): string | null => {
  if (!hasPngSignature(bytes)) return null;
  const what = `${path} is a PNG image, not a checkpoint or weights file`;
  if (command === undefined) return what;
  return command === 'predict' || command === 'explain' ? `${what}: the model comes first (${synopsisOf(command)})` : `${what} (${synopsisOf(command)})`;
};

/** For a model file's bytes given where a picture goes (predict's and explain's images), the line saying so; otherwise null. */
export const notAnImage = (path: string, bytes: Uint8Array): string | null =>
  looksLikeSafetensors(bytes) ? `${path} is a safetensors file (a model), not a PNG image: the model comes first, then the pictures` : null;
