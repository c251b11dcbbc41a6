// The explain command's pictures: one per map, filters and every class's
// saliency, each the size its layer implies and never blank; written as PNG
// files that decode back to the same rasters.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { MNIST_SHAPE, seedNetwork } from '../src/graph/index.ts';
import { decodePng, encodePng } from '../src/platform/png.ts';
import { explainFile, explainPictures } from '../src/program/explain-files.ts';
import { digitRaster } from '../src/pictures/maps.ts';

const net = seedNetwork({ init: 'he' });
const params = net.init(key(3), MNIST_SHAPE);
// A crude 7: a bar on top and a diagonal stroke.
const seven = new Uint8Array(784);
for (let x = 6; x < 22; x++) seven[5 * 28 + x] = seven[6 * 28 + x] = 255;
for (let y = 6; y < 24; y++) seven[y * 28 + Math.round(21 - (y - 6) * 0.5)] = 255;

const nonBlank = (rgba: Uint8ClampedArray): boolean => rgba.some((v, i) => i % 4 !== 3 && v < 250);

describe('explain pictures', () => {
  it('gives the input, the filters, five maps and ten saliencies, none blank', () => {
    const { probabilities, pictures } = explainPictures(net, params, seven, jsKernels);
    expect(probabilities.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(pictures.map(([n]) => n)).toEqual([
      'input.png', 'filters.png', 'relu1.png', 'pool1.png', 'relu2.png', 'pool2.png', 'relu3.png',
      ...Array.from({ length: 10 }, (_, c) => `saliency-${c}.png`),
    ]);
    for (const [name, r] of pictures) expect(nonBlank(r.rgba), name).toBe(true);
    const byName = new Map(pictures);
    expect(byName.get('input.png')!.width).toBe(28 * 8);
    // relu1: 16 channels of 28x28 at scale 2, 8 per row with 2-pixel gaps.
    expect(byName.get('relu1.png')!.width).toBe(8 * 56 + 7 * 2);
    expect(byName.get('relu1.png')!.height).toBe(2 * 56 + 2);
  });

  it('writes them as PNG files and names the predicted class', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-'));
    const image = join(dir, 'seven.png');
    writeFileSync(image, encodePng(digitRaster(seven, 1)));
    const lines = await explainFile(net, params, image, join(dir, 'out'), jsKernels)();
    if (E.isLeft(lines)) throw new Error(lines.left);
    expect(lines.right[0]).toMatch(/seven\.png: \d \(\d+\.\d%\), \d \(/);
    const png = decodePng(new Uint8Array(readFileSync(join(dir, 'out', 'saliency-7.png'))));
    expect(E.isRight(png) && png.right.width).toBe(224);
  });

  it('a file that is not a PNG is a one-line error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-'));
    writeFileSync(join(dir, 'x.png'), 'nope');
    const r = await explainFile(net, params, join(dir, 'x.png'), join(dir, 'out'), jsKernels)();
    expect(E.isLeft(r) && r.left).toMatch(/x\.png: /);
  });
});
