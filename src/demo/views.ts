// Drawing onto the page's canvases: the rasters of src/pictures/maps.ts (the
// same pictures the explain command writes) and the training curves.

import type { Raster } from '../pictures/raster.ts';

/** Paints a raster (src/pictures/maps.ts) onto a canvas, resizing the canvas to it. */
export const paint = (canvas: HTMLCanvasElement, r: Raster): void => {
  if (canvas.width !== r.width) canvas.width = r.width;
  if (canvas.height !== r.height) canvas.height = r.height;
  canvas.getContext('2d')!.putImageData(new ImageData(r.rgba as Uint8ClampedArray<ArrayBuffer>, r.width, r.height), 0, 0);
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
