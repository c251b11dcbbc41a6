// A tiny RGBA raster with just enough drawing to make report pictures:
// rectangles, scaled grayscale images and a built-in 5x7 bitmap font.
// Pure (no Node, no DOM), so a web page can draw the same pictures. The
// drawing helpers write into the raster they are given; callers own it.

/** An RGBA picture: width · height pixels, row-major, 4 bytes each (a canvas's ImageData layout). */
export type Raster = { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray };
export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
export const RED: Rgb = [220, 30, 30];
export const GRAY: Rgb = [120, 120, 120];

export const createRaster = (width: number, height: number, background: Rgb = WHITE): Raster => {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`createRaster: bad size ${width}x${height}`);
  }
  const r = { width, height, rgba: new Uint8ClampedArray(width * height * 4) };
  fillRect(r, 0, 0, width, height, background);
  return r;
};

/** Fills the rectangle, clipped to the raster. */
export const fillRect = (r: Raster, x: number, y: number, w: number, h: number, c: Rgb): void => {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(r.width, Math.floor(x + w));
  const y1 = Math.min(r.height, Math.floor(y + h));
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const i = (yy * r.width + xx) * 4;
      r.rgba[i] = c[0];
      r.rgba[i + 1] = c[1];
      r.rgba[i + 2] = c[2];
      r.rgba[i + 3] = 255;
    }
  }
};

/** A frame of the given thickness drawn inside the rectangle's bounds. */
export const strokeRect = (r: Raster, x: number, y: number, w: number, h: number, c: Rgb, thickness = 1): void => {
  const t = Math.min(thickness, Math.ceil(w / 2), Math.ceil(h / 2));
  fillRect(r, x, y, w, t, c);
  fillRect(r, x, y + h - t, w, t, c);
  fillRect(r, x, y, t, h, c);
  fillRect(r, x + w - t, y, t, h, c);
};

export type Colormap = (v: number) => Rgb;

export const grayColormap: Colormap = (v) => [v, v, v];

/** White (t = 0) through light blue to dark blue (t = 1); t is clamped to [0, 1]. */
export const heatColor = (t: number): Rgb => {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return [Math.round(255 - 247 * u), Math.round(255 - 207 * u), Math.round(255 - 148 * u)];
};

/** Draws a width*height grayscale image (0..255) at (x, y), each pixel as a scale x scale block. */
export const blitGray = (
  r: Raster,
  gray: ArrayLike<number>,
  width: number,
  height: number,
  x: number,
  y: number,
  scale = 1,
  colormap: Colormap = grayColormap,
): void => {
  for (let gy = 0; gy < height; gy++) {
    for (let gx = 0; gx < width; gx++) {
      fillRect(r, x + gx * scale, y + gy * scale, scale, scale, colormap(gray[gy * width + gx] ?? 0));
    }
  }
};

// 5x7 glyphs: seven rows per character, each row a 5-bit mask written as one base-32 digit (bit 4 = leftmost).
// Lower-case g starts a row lower than 9 and ends in a hook, so "wrong" never reads "wron9".
const CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:/.%-(),=+?_';
const BITS =
  'ehjlphe4c4444eeh1248vv2421he26aiv22vgu11he68guhhev124888ehhehheehhf12c' +
  'ehhvhhhuhhuhhuehggghesihhhisvgguggvvggugggehgnhhfhhhvhhhe44444e72222ic' +
  'hikokihggggggvhrllhhhhhpljhhehhhhheuhhugggehhhliduhhukihfgge11uv444444' +
  'hhhhhhehhhhha4hhhlllahha4ahhhhha444v1248gv00e1fhfggmphhu00egghe11djhhf' +
  '00ehvge698s88800fhf1eggmphhh40c444e20622icggikokic44444e00qllhh00mphhh' +
  '00ehhhe00uhugg00djf1100mpggg00ege1u88s889600hhhjd00hhha400hhlla00ha4ah' +
  '00hhf1e00v248v0cc0cc001248g000000ccop248j3000v000248884284222480000c48' +
  '00v0v00044v440eh12404000000v';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

const glyphRows = (ch: string): number[] => {
  if (ch === ' ') return [0, 0, 0, 0, 0, 0, 0];
  const k = CHARS.indexOf(ch);
  const at = (k < 0 ? CHARS.indexOf('?') : k) * GLYPH_HEIGHT;
  return Array.from(BITS.slice(at, at + GLYPH_HEIGHT), (d) => parseInt(d, 32));
};

/** Pixel width of a line of text: 5 columns per glyph plus 1 column of spacing between glyphs. */
export const textWidth = (text: string, scale = 1): number => {
  const n = Array.from(text).length;
  return n === 0 ? 0 : (n * (GLYPH_WIDTH + 1) - 1) * scale;
};

export const textHeight = (scale = 1): number => GLYPH_HEIGHT * scale;

/** Draws one line of text with its top-left corner at (x, y); unknown characters show as '?'. Returns the width drawn. */
export const drawText = (r: Raster, text: string, x: number, y: number, color: Rgb = BLACK, scale = 1): number => {
  let cx = x;
  for (const ch of text) {
    const rows = glyphRows(ch);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((rows[row]! >> (GLYPH_WIDTH - 1 - col)) & 1) fillRect(r, cx + col * scale, y + row * scale, scale, scale, color);
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
  return textWidth(text, scale);
};

/** Draws text horizontally centred on cx. */
export const drawTextCentered = (r: Raster, text: string, cx: number, y: number, color: Rgb = BLACK, scale = 1): void => {
  drawText(r, text, Math.round(cx - textWidth(text, scale) / 2), y, color, scale);
};
