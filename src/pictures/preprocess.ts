// Turns an arbitrary picture of a digit into a 28x28 MNIST-style input, the
// way MNIST itself was made: ink bright on black, the digit's bounding box
// scaled (aspect kept) so its longer side is 20 pixels, then placed in the
// 28x28 field so that its centre of mass sits at the centre. A network trained
// on MNIST sees nothing else, so photos and drawings must be brought to that.
// Pure, so a web page can preprocess a canvas the same way.

import { tensor, type Tensor } from '../core/tensor.ts';

/**
 * A preprocessed 28x28 image (0 = background, 255 = ink) as the network's
 * input: [1, 28, 28, 1], pixels / 255 as in training. Throws a RangeError
 * unless `gray` has 784 bytes.
 */
export const toInput = (gray: Uint8Array): Tensor => tensor([1, 28, 28, 1], Float32Array.from(gray, (v) => v / 255));

/** A picture as a canvas's ImageData holds it: width · height RGBA pixels, row-major, 4 bytes each. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array | Uint8ClampedArray;
}

const SIDE = 28;
const BOX = 20;
/** Below this spread between background and the brightest ink, the picture counts as blank. */
const MIN_CONTRAST = 24;
/** Fraction of the ink range treated as paper noise and cut away. */
const NOISE = 0.1;

/** Rec. 601 luminance, with alpha composited over white (a transparent canvas is blank paper). */
export const toGray = (img: RgbaImage): Uint8Array => {
  const n = img.width * img.height;
  if (img.rgba.length !== n * 4) throw new RangeError(`toGray: ${img.width}x${img.height} needs ${n * 4} bytes, got ${img.rgba.length}`);
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = img.rgba.subarray(i * 4, i * 4 + 4);
    const a = p[3]! / 255;
    const lum = 0.299 * p[0]! + 0.587 * p[1]! + 0.114 * p[2]!;
    gray[i] = Math.round(lum * a + 255 * (1 - a));
  }
  return gray;
};

/**
 * A picture of a digit of any size (a canvas, a decoded PNG) as a 28x28
 * MNIST-style image: gray, ink made bright on black (dark-on-light pictures
 * are inverted), cropped, scaled into 20x20 and centred by mass, as MNIST
 * was made. 28 · 28 bytes, 0 = background, 255 = ink; a blank picture gives
 * zeros. Throws a RangeError when `rgba` is not width · height · 4 bytes.
 *
 * @example
 * const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
 * const gray = preprocess({ width: img.width, height: img.height, rgba: img.data });
 * const logits = predict(net, params, toInput(gray), { kernels });
 */
export const preprocess = (img: RgbaImage): Uint8Array => preprocessGray(img.width, img.height, toGray(img));

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** The border is where the background is, whatever the digit does in the middle. */
const borderMedian = (w: number, h: number, gray: Uint8Array): number => {
  const v: number[] = [];
  for (let x = 0; x < w; x++) v.push(gray[x]!, gray[(h - 1) * w + x]!);
  for (let y = 1; y < h - 1; y++) v.push(gray[y * w]!, gray[y * w + w - 1]!);
  return median(v);
};

type Taps = ReadonlyArray<ReadonlyArray<readonly [index: number, weight: number]>>;

/** Per output sample, the source samples and weights: exact area averaging when shrinking (as MNIST's anti-aliasing did), bilinear when growing. */
const taps = (n: number, m: number): Taps => {
  const scale = m / n;
  return Array.from({ length: m }, (_, i) => {
    if (scale < 1) {
      const a = i / scale, b = (i + 1) / scale;
      const t: [number, number][] = [];
      for (let k = Math.floor(a); k < Math.min(n, Math.ceil(b)); k++) t.push([k, (Math.min(b, k + 1) - Math.max(a, k)) * scale]);
      return t;
    }
    const u = Math.min(n - 1, Math.max(0, (i + 0.5) / scale - 0.5));
    const k = Math.floor(u);
    return [[k, 1 - (u - k)], [Math.min(n - 1, k + 1), u - k]];
  });
};

/** Resizes a w x h image to nw x nh, rows and then columns (both filters are separable). */
const resize = (src: Float64Array, w: number, h: number, nw: number, nh: number): Float64Array => {
  const tx = taps(w, nw), ty = taps(h, nh);
  const mid = new Float64Array(nw * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < nw; x++) for (const [k, wt] of tx[x]!) mid[y * nw + x] += wt * src[y * w + k]!;
  }
  const out = new Float64Array(nw * nh);
  for (let y = 0; y < nh; y++) {
    for (const [k, wt] of ty[y]!) for (let x = 0; x < nw; x++) out[y * nw + x] += wt * mid[k * nw + x]!;
  }
  return out;
};

/**
 * {@link preprocess} of a grayscale picture: `gray` is luminance (0 = black,
 * 255 = white), row-major. Returns 28*28 bytes with 0 = background and
 * 255 = ink; a blank picture gives all zeros. Throws a RangeError when
 * `gray` is not width · height bytes.
 */
export const preprocessGray = (width: number, height: number, gray: Uint8Array): Uint8Array => {
  const out = new Uint8Array(SIDE * SIDE);
  if (gray.length !== width * height) throw new RangeError(`preprocessGray: ${width}x${height} needs ${width * height} bytes, got ${gray.length}`);
  if (width === 0 || height === 0) return out;

  const bgGray = borderMedian(width, height, gray);
  const invert = bgGray > 127;
  if (width === SIDE && height === SIDE && !invert) return Uint8Array.from(gray);

  const bg = invert ? 255 - bgGray : bgGray;
  let peak = 0;
  for (const g of gray) peak = Math.max(peak, invert ? 255 - g : g);
  if (peak - bg < MIN_CONTRAST) return out;

  // Background and paper noise go to 0 and the strongest ink to 1, like MNIST's full-contrast strokes.
  const lo = bg + NOISE * (peak - bg);
  const ink = new Float64Array(width * height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = gray[y * width + x]!;
      const v = Math.max(0, ((invert ? 255 - g : g) - lo) / (peak - lo));
      ink[y * width + x] = v;
      if (v > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;

  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const crop = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + bw), y * bw);
  const s = BOX / Math.max(bw, bh);
  const nw = Math.max(1, Math.min(BOX, Math.round(bw * s)));
  const nh = Math.max(1, Math.min(BOX, Math.round(bh * s)));
  const small = resize(crop, bw, bh, nw, nh);

  // MNIST puts the centre of mass, in pixel-index coordinates, at (14, 14) to the
  // nearest pixel (measured over its test set: mean 14.01, 13.99), not at 13.5.
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      const v = small[y * nw + x]!;
      mass += v; mx += v * x; my += v * y;
    }
  }
  if (mass <= 0) return out;
  const clamp = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  const dx = clamp(Math.round(SIDE / 2 - mx / mass), SIDE - nw);
  const dy = clamp(Math.round(SIDE / 2 - my / mass), SIDE - nh);
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) out[(y + dy) * SIDE + x + dx] = Math.round(255 * Math.min(1, small[y * nw + x]!));
  }
  return out;
};
