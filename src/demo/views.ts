// Drawing the network's insides onto canvases: maps as tiles, filters in a
// diverging colour scale, the saliency overlaid on the digit, training curves.
// Every function draws only into the canvas it is given.

import type { Tensor } from '../core/tensor.ts';

const GAP = 2;

const context = (canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D => {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  return ctx;
};

/** Diverging: negative blue, zero white, positive red; t in [-1, 1]. */
const diverging = (t: number): [number, number, number] => {
  const a = Math.min(1, Math.abs(t));
  return t >= 0 ? [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a))] : [Math.round(255 * (1 - a)), Math.round(255 * (1 - a)), 255];
};

/**
 * The channels of one example of an [n, h, w, c] tensor as tiles, `cols` per
 * row, each pixel `scale` wide. Activations (signed = false) are scaled by the
 * largest value of the whole layer, so tiles compare; filters (signed) by the
 * largest magnitude, in the diverging scale.
 */
export const drawTiles = (canvas: HTMLCanvasElement, t: Tensor, cols: number, scale: number, signed = false): void => {
  const [, h, w, c] = t.shape as [number, number, number, number];
  const rows = Math.ceil(c / cols);
  const tw = w * scale, th = h * scale;
  const width = cols * tw + (cols - 1) * GAP, height = rows * th + (rows - 1) * GAP;
  const ctx = context(canvas, width, height);
  const img = ctx.createImageData(width, height);
  img.data.fill(255);
  let top = 0;
  for (let i = 0; i < h * w * c; i++) top = Math.max(top, signed ? Math.abs(t.data[i]!) : t.data[i]!);
  const norm = top > 0 ? 1 / top : 0;
  for (let ch = 0; ch < c; ch++) {
    const ox = (ch % cols) * (tw + GAP), oy = Math.floor(ch / cols) * (th + GAP);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = t.data[((Math.floor(y / scale) * w) + Math.floor(x / scale)) * c + ch]! * norm;
        const [r, g, b] = signed ? diverging(v) : [255 * (1 - v), 255 * (1 - v), 255 * (1 - v)];
        const p = ((oy + y) * width + ox + x) * 4;
        img.data[p] = r; img.data[p + 1] = g; img.data[p + 2] = b; img.data[p + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
};

/** A 28x28 image (0 = background, 255 = ink) drawn dark on light, as it was drawn. */
export const drawDigit = (canvas: HTMLCanvasElement, pixels: ArrayLike<number>, scale: number): void => {
  const side = 28 * scale;
  const ctx = context(canvas, side, side);
  const img = ctx.createImageData(side, side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = 255 - pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
      const p = (y * side + x) * 4;
      img.data[p] = v; img.data[p + 1] = v; img.data[p + 2] = v; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
};

const POSITIVE = [215, 25, 28] as const;
const NEGATIVE = [44, 90, 215] as const;

/**
 * The saliency (d logit / d pixel) over the faded digit: red where more ink
 * would raise the class's score, blue where it would lower it.
 */
export const drawSaliency = (canvas: HTMLCanvasElement, pixels: ArrayLike<number>, gradient: ArrayLike<number>, scale: number): void => {
  const side = 28 * scale;
  const ctx = context(canvas, side, side);
  const img = ctx.createImageData(side, side);
  let top = 0;
  for (let i = 0; i < 784; i++) top = Math.max(top, Math.abs(gradient[i]!));
  const norm = top > 0 ? 1 / top : 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = Math.floor(y / scale) * 28 + Math.floor(x / scale);
      const base = 255 - 0.5 * pixels[i]!;
      const a = Math.sqrt(Math.abs(gradient[i]!) * norm);
      const [r, g, b] = gradient[i]! >= 0 ? POSITIVE : NEGATIVE;
      const p = (y * side + x) * 4;
      img.data[p] = base * (1 - a) + r * a;
      img.data[p + 1] = base * (1 - a) + g * a;
      img.data[p + 2] = base * (1 - a) + b * a;
      img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
};

export interface Series {
  readonly label: string;
  readonly color: string;
  /** [x, y] points; y in [0, yMax]. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly yMax: number;
}

/** Line charts sharing the x axis [0, xMax]; each series on its own y scale (stated in its legend). */
export const drawCurves = (canvas: HTMLCanvasElement, xMax: number, xLabel: string, series: readonly Series[]): void => {
  const width = canvas.width, height = canvas.height;
  const ctx = canvas.getContext('2d')!;
  const pad = { l: 8, r: 8, t: 22, b: 18 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(pad.l, pad.t, width - pad.l - pad.r, height - pad.t - pad.b);
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#555';
  ctx.fillText(xLabel, pad.l, height - 4);
  let legendX = pad.l;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => {
      const px = pad.l + (x / Math.max(xMax, 1e-9)) * (width - pad.l - pad.r);
      const py = height - pad.b - (Math.min(y, s.yMax) / s.yMax) * (height - pad.t - pad.b);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    const last = s.points.at(-1);
    const text = `${s.label}${last === undefined ? '' : `: ${last[1].toFixed(s.yMax > 1.5 ? 3 : 4)}`}`;
    ctx.fillText(text, legendX, 15);
    legendX += ctx.measureText(text).width + 16;
  }
};
