// The map pictures' layout: a click on any pixel of a value's block finds that
// value (tileAt inverts tileBox), pixels between tiles find nothing, tiles
// are framed and numbered, the colour scale states its range, and signed
// pictures are white at zero, red above and blue below.

import { describe, expect, it } from 'vitest';
import { tensor } from '../src/core/tensor.ts';
import { layerRaster, mapsRaster, paramRaster, shortNumber, tileAt, tileBox, vectorRaster } from '../src/pictures/maps.ts';

const ramp = (shape: number[], f: (i: number) => number) => tensor(shape, Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)));

const rgb = (r: { width: number; rgba: Uint8ClampedArray }, x: number, y: number): number[] => Array.from(r.rgba.subarray((y * r.width + x) * 4, (y * r.width + x) * 4 + 3));

describe('map pictures', () => {
  it('find the value under any pixel of its block, and nothing between tiles', () => {
    const r = mapsRaster(ramp([1, 7, 7, 20], (i) => i));
    const l = r.layout;
    expect([l.cols, l.count, l.h, l.w, l.scale]).toEqual([8, 20, 7, 7, 8]);
    for (const [tile, y, x] of [[0, 0, 0], [3, 6, 2], [17, 4, 6], [19, 6, 6]] as const) {
      const b = tileBox(l, tile, y, x);
      for (const [px, py] of [[b.x, b.y], [b.x + b.w - 1, b.y + b.h - 1]] as const) expect(tileAt(l, px, py)).toEqual({ tile, y, x });
    }
    const right = tileBox(l, 0, 0, 6);
    expect(tileAt(l, right.x + right.w + 1, right.y)).toBeNull(); // the frame and gap after tile 0
    expect(tileAt(l, tileBox(l, 19, 6, 6).x + 100, tileBox(l, 19, 6, 6).y)).toBeNull(); // no tile 20
    // Framed: the pixel just left of tile 1 is the frame's grey.
    const t1 = tileBox(l, 1, 0, 0);
    expect(rgb(r, t1.x - 1, t1.y)).toEqual([170, 170, 170]);
  });

  it('colour signed values white at zero, red above, blue below, scaled by the largest magnitude', () => {
    const r = layerRaster(tensor([1, 3], Float64Array.from([-2, 0, 1])), true);
    expect(r.layout.range).toBe(2);
    const at = (i: number) => { const b = tileBox(r.layout, 0, 0, i); return rgb(r, b.x, b.y); };
    expect(at(0)).toEqual([44, 90, 215]);
    expect(at(1)).toEqual([255, 255, 255]);
    const half = at(2);
    expect(half[0]).toBeGreaterThan(half[2]!); // red
    expect(half[1]).toBeGreaterThan(90); // half strength
  });

  it('lays a vector out in rows of at most 10, else about square', () => {
    expect([vectorRaster(new Float32Array(10)).layout.h, vectorRaster(new Float32Array(10)).layout.w]).toEqual([1, 10]);
    expect([vectorRaster(new Float32Array(100)).layout.h, vectorRaster(new Float32Array(100)).layout.w]).toEqual([10, 10]);
    expect([vectorRaster(new Float32Array(3136)).layout.h, vectorRaster(new Float32Array(3136)).layout.w]).toEqual([56, 56]);
  });

  it('draws each kind of parameter: filters per input channel, untied biases as maps, dense units as square tiles', () => {
    expect(paramRaster(ramp([3, 3, 1, 16], (i) => i - 70)).layout.count).toBe(16);
    const conv2 = paramRaster(ramp([3, 3, 16, 32], (i) => Math.sin(i))).layout;
    expect([conv2.count, conv2.cols, conv2.h, conv2.w]).toEqual([512, 32, 3, 3]);
    expect(paramRaster(ramp([14, 14, 32], (i) => i)).layout.count).toBe(32);
    const dense2 = paramRaster(ramp([100, 10], (i) => i)).layout;
    expect([dense2.count, dense2.h, dense2.w]).toEqual([10, 10, 10]);
    expect(paramRaster(ramp([100], (i) => i)).layout.count).toBe(1);
  });

  it('writes numbers short enough for the 5x7 font', () => {
    expect([shortNumber(0), shortNumber(0.012345), shortNumber(-1.5e-5), shortNumber(340.6), shortNumber(2e5)]).toEqual(['0', '0.0123', '-1.5e-5', '341', '2.0e5']);
  });
});
