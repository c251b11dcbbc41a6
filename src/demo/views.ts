// Drawing onto the page's canvases: the rasters of src/pictures/maps.ts (the
// same pictures the explain command writes).

import type { Raster } from '../pictures/raster.ts';

/** Paints a raster (src/pictures/maps.ts) onto a canvas, resizing the canvas to it. */
export const paint = (canvas: HTMLCanvasElement, r: Raster): void => {
  if (canvas.width !== r.width) canvas.width = r.width;
  if (canvas.height !== r.height) canvas.height = r.height;
  canvas.getContext('2d')!.putImageData(new ImageData(r.rgba as Uint8ClampedArray<ArrayBuffer>, r.width, r.height), 0, 0);
};
