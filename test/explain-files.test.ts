// The explain command's pictures: one per map, filters and every class's
// saliency, each the size its layer implies and never blank; written as PNG
// files that decode back to the same rasters. And predict's files: warnings
// for pictures with no digit, saved inputs that never overwrite each other.

import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { MNIST_SHAPE, seedNetwork } from '../src/graph/index.ts';
import { decodePng, encodePng } from '../src/platform/png.ts';
import { explainFile, explainPictures } from '../src/program/explain-files.ts';
import { predictFiles, savedInputNames } from '../src/program/predict.ts';
import { encodeWeights } from '../src/program/recipe/weights.ts';
import { createRaster } from '../src/pictures/raster.ts';
import { digitRaster } from '../src/pictures/maps.ts';
import { tempDir } from './temp-dir.ts';

const net = seedNetwork({ init: 'he' });
const params = net.init(key(3), MNIST_SHAPE);
// A crude 7: a bar on top and a diagonal stroke.
const seven = new Uint8Array(784);
for (let x = 6; x < 22; x++) seven[5 * 28 + x] = seven[6 * 28 + x] = 255;
for (let y = 6; y < 24; y++) seven[y * 28 + Math.round(21 - (y - 6) * 0.5)] = 255;


/** Every line of predictions that all succeeded. */
const linesOf = async (task: ReturnType<typeof predictFiles>): Promise<string[]> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(r.left);
  return r.right.results.flatMap((x) => {
    if (E.isLeft(x)) throw new Error(x.left);
    return [...x.right];
  });
};

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
    // relu1: 16 channels of 28x28 at scale 2, 8 per row, each framed (1 pixel) and numbered (9 pixels) with 4-pixel gaps, the colour scale under them (31 pixels).
    expect(byName.get('relu1.png')!.width).toBe(8 * 58 + 7 * 4);
    expect(byName.get('relu1.png')!.height).toBe(2 * (9 + 58) + 4 + 31);
  });

  it('writes them as PNG files and names the predicted class', async () => {
    const dir = tempDir('explain-');
    const image = join(dir, 'seven.png');
    writeFileSync(image, encodePng(digitRaster(seven, 1)));
    const lines = await explainFile(net, params, image, join(dir, 'out'), jsKernels)();
    if (E.isLeft(lines)) throw new Error(lines.left);
    expect(lines.right[0]).toMatch(/seven\.png: \d \(\d+\.\d%\), \d \(/);
    const png = decodePng(new Uint8Array(readFileSync(join(dir, 'out', 'saliency-7.png'))));
    expect(E.isRight(png) && png.right.width).toBe(224);
  });

  it('with --backward writes dLoss/dOut of every layer, dLoss/dParams, one SGD step\'s update and a report whose step lowers the loss', async () => {
    const dir = tempDir('explain-');
    const image = join(dir, 'seven.png');
    writeFileSync(image, encodePng(digitRaster(seven, 1)));
    const lines = await explainFile(net, params, image, join(dir, 'out'), jsKernels, { label: 2, lr: 0.001 })();
    if (E.isLeft(lines)) throw new Error(lines.left);
    expect(lines.right.at(-1)).toMatch(/^one SGD step at lr 0\.001: loss [\d.]+ -> [\d.]+/);
    const files = readdirSync(join(dir, 'out'));
    const report = JSON.parse(readFileSync(join(dir, 'out', 'backward.json'), 'utf8'));
    expect(report.label).toBe(2);
    expect(report.labelFrom).toBe('--label');
    expect(report.loss.loss).toBeCloseTo(-Math.log(report.probabilities[2]), 5);
    expect(report.step.lossAfter).toBeLessThan(report.step.lossBefore);
    expect(report.layers.map((l: { name: string }) => l.name)).toEqual(Object.keys(net.layers).filter((n) => n !== 'flatten'));
    for (const f of report.files) expect(files).toContain(f);
    for (const name of ['backward-conv2.png', 'grad-conv2.w.png', 'grad-add2.b.png', 'grad-dense1.w.png', 'update-dense2.b.png', 'step.png']) expect(files).toContain(name);
    expect(files.filter((f) => f.startsWith('update-'))).toHaveLength(10);
    expect(Object.keys(report.step.updates)).toHaveLength(10);
    // Fresh biases are zero, so they have no ratio; the weights do.
    expect(report.step.updates['add1.b'].updateToWeight).toBeNull();
    expect(report.step.updates['conv1.w'].updateToWeight).toBeGreaterThan(0);
  });

  it('a file that is not a PNG is a one-line error naming it', async () => {
    const dir = tempDir('explain-');
    writeFileSync(join(dir, 'x.png'), 'nope');
    const r = await explainFile(net, params, join(dir, 'x.png'), join(dir, 'out'), jsKernels)();
    expect(E.isLeft(r) && r.left).toMatch(/x\.png: /);
  });
});

describe('predict files', () => {
  const flat = (w: number, h: number, rgba: readonly number[]): Uint8Array => {
    const r = createRaster(w, h);
    for (let i = 0; i < w * h; i++) r.rgba.set(rgba, i * 4);
    return encodePng(r);
  };

  it('warns, as explain does, for blank, white, black, transparent and 1x1 pictures, and not for a digit', async () => {
    const dir = tempDir('predict-');
    const files = {
      white: flat(40, 30, [255, 255, 255, 255]),
      black: flat(40, 30, [0, 0, 0, 255]),
      transparent: flat(40, 30, [0, 0, 0, 0]),
      one: flat(1, 1, [0, 0, 0, 255]),
      seven: encodePng(digitRaster(seven, 1)),
    };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, `${name}.png`), bytes);
    const paths = Object.keys(files).map((n) => join(dir, `${n}.png`));
    const lines = await linesOf(predictFiles(net, params, paths, null, jsKernels));
    const warned = lines.filter((l) => l.includes('warning: no digit found')).map((l) => l.slice(0, l.indexOf(':')));
    expect(warned).toEqual(paths.slice(0, 4));
    expect(lines).toHaveLength(9);
    const e = await explainFile(net, params, paths[3]!, join(dir, 'out'), jsKernels)();
    expect(E.isRight(e) && e.right[0]).toBe(`${paths[3]}: warning: no digit found (a blank picture, or too little contrast); the network sees an empty field`);
  });

  it('--save-input never writes one input over another of the same base name', async () => {
    const dir = tempDir('predict-');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'digit.png'), encodePng(digitRaster(seven, 1)));
    writeFileSync(join(dir, 'b', 'digit.png'), flat(28, 28, [0, 0, 0, 255]));
    writeFileSync(join(dir, 'b', 'digit-2.png'), flat(28, 28, [0, 0, 0, 255]));
    const files = [join(dir, 'a', 'digit.png'), join(dir, 'b', 'digit.png'), join(dir, 'b', 'digit-2.png')];
    const r = await predictFiles(net, params, files, join(dir, 'seen'), jsKernels)();
    if (E.isLeft(r)) throw new Error(r.left);
    expect(readdirSync(join(dir, 'seen')).sort()).toEqual(['digit-2-2-28x28.png', 'digit-2-28x28.png', 'digit-28x28.png']);
    expect(r.right.saved).toBe(`wrote the 28x28 inputs to ${join(dir, 'seen')}: digit-28x28.png, digit-2-28x28.png, digit-2-2-28x28.png`);
    // The first is the 7, the second the blank one.
    const first = decodePng(new Uint8Array(readFileSync(join(dir, 'seen', 'digit-28x28.png'))));
    expect(E.isRight(first) && first.right.rgba.some((v) => v > 0 && v < 255)).toBe(true);
    expect(savedInputNames(['x/A.png', 'y/a.png', 'a.png'])).toEqual(['A-28x28.png', 'a-2-28x28.png', 'a-3-28x28.png']);
  });

  it('answers every picture it can read, and names each one it cannot: missing, not a PNG, a model in a picture\'s place', async () => {
    const dir = tempDir('predict-');
    const good = join(dir, 'seven.png'), missing = join(dir, 'missing.png'), text = join(dir, 'notes.png'), model = join(dir, 'model.safetensors'), again = join(dir, 'again.png');
    writeFileSync(good, encodePng(digitRaster(seven, 1)));
    writeFileSync(again, encodePng(digitRaster(seven, 1)));
    writeFileSync(text, 'not a picture');
    writeFileSync(model, encodeWeights(params, 'test'));
    const r = await predictFiles(net, params, [good, missing, text, model, again], join(dir, 'seen'), jsKernels)();
    if (E.isLeft(r)) throw new Error(r.left);
    const [a, b, c, d, e] = r.right.results;
    expect(E.isRight(a!) && a.right[0]).toMatch(/seven\.png: \d \(/);
    expect(b).toEqual(E.left(`cannot read ${missing}: no such file`));
    expect(c).toEqual(E.left(`${text}: not a PNG file (bad signature)`));
    expect(d).toEqual(E.left(`${model} is a safetensors file (a model), not a PNG image: the model comes first, then the pictures`));
    expect(E.isRight(e!) && e.right).toEqual(E.isRight(a!) && [a.right[0]!.replace(good, again)]);
    // Only the answered pictures' inputs are written, and named.
    expect(readdirSync(join(dir, 'seen')).sort()).toEqual(['again-28x28.png', 'seven-28x28.png']);
    expect(r.right.saved).toBe(`wrote the 28x28 inputs to ${join(dir, 'seen')}: seven-28x28.png, again-28x28.png`);
  });

  it('refuses a PNG file over MAX_PNG_FILE_BYTES unread, and a PNG over MAX_PNG_SIDE undecoded', async () => {
    const dir = tempDir('predict-');
    const big = join(dir, 'big.png');
    writeFileSync(big, encodePng(digitRaster(seven, 1)));
    truncateSync(big, 64 * 2 ** 20 + 1);
    expect(await predictFiles(net, params, [big], null, jsKernels)()).toEqual(E.right({ results: [E.left(`cannot read ${big}: more than 64 MiB, the limit for a PNG file`)], saved: null }));
    const wide = join(dir, 'wide.png');
    const bytes = encodePng(createRaster(1, 1));
    new DataView(bytes.buffer).setUint32(16, 20000); // IHDR width
    new DataView(bytes.buffer).setUint32(20, 20000);
    new DataView(bytes.buffer).setUint32(29, crc32(bytes.subarray(12, 29))); // the chunk's CRC, over its type and data
    writeFileSync(wide, bytes);
    expect(await explainFile(net, params, wide, join(dir, 'out'), jsKernels)()).toEqual(
      E.left(`${wide}: unreadable PNG: image is 20000x20000 pixels, more than 4096x4096, the limit`),
    );
  });
});
