// A drawing pad: dark ink on white with mouse, pen or touch (pointer events).
// Reports the canvas pixels after each change, at most once per frame.

import type { RgbaImage } from '../pictures/preprocess.ts';

export interface Pad {
  readonly clear: () => void;
}

export const createPad = (canvas: HTMLCanvasElement, onChange: (image: RgbaImage) => void): Pad => {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const blank = (): void => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  blank();
  let last: [number, number] | null = null;
  let queued = false;
  const report = (): void => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height);
      onChange({ width: d.width, height: d.height, rgba: d.data });
    });
  };
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  const line = (from: [number, number], to: [number, number]): void => {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = canvas.width / 14;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    line(last, last);
    report();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (last === null) return;
    const p = at(e);
    line(last, p);
    last = p;
    report();
  });
  const end = (): void => {
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear: blank };
};

/**
 * The longer side, in pad pixels, of the box around the ink (pixels darker
 * than mid-grey), 0 for a blank pad. A dot or a short tick would be blown up
 * to a 20x20 blob by the MNIST preprocessing, so the page asks for a digit
 * instead of predicting one.
 */
export const inkExtent = (image: RgbaImage): number => {
  let x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.rgba[(y * image.width + x) * 4]! >= 128) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? 0 : Math.max(x1 - x0, y1 - y0) + 1;
};
