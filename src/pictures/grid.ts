// Report pictures as rasters: a grid of test digits captioned with true and
// predicted labels (mistakes in red, so they stand out at a glance), and a
// confusion-matrix heat map. Pure, so a web page can draw the same pictures.

import {
  BLACK,
  GRAY,
  RED,
  WHITE,
  blitGray,
  createRaster,
  drawText,
  drawTextCentered,
  fillRect,
  heatColor,
  strokeRect,
  textHeight,
  textWidth,
  type Raster,
  type Rgb,
} from './raster.ts';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The layout of a {@link predictionGrid}. */
export interface GridOptions {
  /** Images per row; default 8. */
  readonly cols?: number;
  /** Integer magnification of each 28x28 image (and of the caption font); default 2. */
  readonly scale?: number;
}

/** Grid cell geometry: the caption is as wide as the widest one ("t9 p9"), the frame sits in the padding. */
const cellGeometry = (scale: number) => {
  const img = SIDE * scale;
  const frame = Math.max(2, scale);
  const pad = frame + 2 * scale;
  const capW = textWidth('t0 p0', scale);
  return {
    img,
    frame,
    pad,
    width: Math.max(img, capW) + 2 * pad,
    height: pad + img + frame + 2 * scale + textHeight(scale) + pad,
  };
};

/**
 * A grid of 28x28 digits (`images`: 784 bytes each, 0 = background), each
 * captioned with its true and predicted label (`t7 p7`), mistakes framed and
 * captioned in red, under a header counting them. Throws a RangeError when
 * there are not as many predictions as labels, or fewer than 784 image
 * bytes per label.
 */
export const predictionGrid = (
  images: Uint8Array,
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  opts: GridOptions = {},
): Raster => {
  const count = labels.length;
  if (predictions.length !== count) throw new RangeError(`predictionGrid: ${count} labels but ${predictions.length} predictions`);
  if (images.length < count * PIXELS) throw new RangeError(`predictionGrid: ${count} labels need ${count * PIXELS} image bytes, got ${images.length}`);
  const scale = Math.max(1, Math.floor(opts.scale ?? 2));
  const cols = Math.max(1, Math.min(Math.floor(opts.cols ?? 8), Math.max(1, count)));
  const rows = Math.ceil(count / cols);
  const cell = cellGeometry(scale);

  let wrong = 0;
  for (let i = 0; i < count; i++) if (labels[i] !== predictions[i]) wrong++;
  const header = `${count} images, ${wrong} wrong`;
  const headerH = textHeight(scale) + 2 * cell.pad;
  const width = Math.max(cols * cell.width, textWidth(header, scale) + 2 * cell.pad);
  const r = createRaster(width, headerH + rows * cell.height, WHITE);
  drawText(r, header, cell.pad, cell.pad, wrong > 0 ? RED : BLACK, scale);

  for (let i = 0; i < count; i++) {
    const cx = (i % cols) * cell.width;
    const cy = headerH + Math.floor(i / cols) * cell.height;
    const ix = cx + Math.floor((cell.width - cell.img) / 2);
    const iy = cy + cell.pad;
    const ok = labels[i] === predictions[i];
    blitGray(r, images.subarray(i * PIXELS, (i + 1) * PIXELS), SIDE, SIDE, ix, iy, scale);
    if (!ok) strokeRect(r, ix - cell.frame, iy - cell.frame, cell.img + 2 * cell.frame, cell.img + 2 * cell.frame, RED, cell.frame);
    const caption = `t${labels[i]} p${predictions[i]}`;
    drawTextCentered(r, caption, cx + cell.width / 2, iy + cell.img + cell.frame + 2 * scale, ok ? BLACK : RED, scale);
  }
  return r;
};

/**
 * Heat map of a square confusion matrix (row = true label, column = predicted).
 * Colour is the row-normalised fraction through a square root, with a floor for
 * any non-zero count, so that a few mistakes beside a large diagonal still show.
 * Throws a RangeError when the matrix is not square.
 */
export const confusionMatrixRaster = (matrix: ReadonlyArray<readonly number[]>): Raster => {
  const n = matrix.length;
  if (matrix.some((row) => row.length !== n)) throw new RangeError('confusionMatrixRaster: matrix must be square');
  const s = 2;
  const th = textHeight(s);
  const max = Math.max(0, ...matrix.flat());
  const cell = Math.max(40, textWidth(String(max), s) + 10);
  const m = 12;
  const labelW = textWidth(String(Math.max(0, n - 1)), s);
  const gridX = m + textWidth('t', s) + 18 + labelW + 8;
  const gridY = m + th + 8 + th + 8;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  const footer = total > 0 ? `accuracy ${((100 * correct) / total).toFixed(2)}% of ${total}` : 'no samples';
  const width = Math.max(gridX + n * cell + m, textWidth(footer, s) + 2 * m);
  const r = createRaster(width, gridY + n * cell + 10 + th + m, WHITE);

  drawTextCentered(r, 'predicted', gridX + (n * cell) / 2, m, BLACK, s);
  // The raster font cannot rotate, so the row axis label is stacked letter by letter.
  const trueTop = gridY + (n * cell) / 2 - (4 * (th + s)) / 2;
  Array.from('true').forEach((ch, k) => drawText(r, ch, m, Math.round(trueTop + k * (th + s)), BLACK, s));

  fillRect(r, gridX - 1, gridY - 1, n * cell + 1, n * cell + 1, [200, 200, 200]);
  for (let i = 0; i < n; i++) {
    const row = matrix[i]!;
    const rowSum = row.reduce((a, b) => a + b, 0);
    drawTextCentered(r, String(i), gridX + i * cell + cell / 2, gridY - th - 6, BLACK, s);
    drawText(r, String(i), gridX - 8 - textWidth(String(i), s), gridY + i * cell + (cell - th) / 2, BLACK, s);
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      const t = rowSum > 0 && v > 0 ? Math.max(0.15, Math.sqrt(v / rowSum)) : 0;
      fillRect(r, gridX + j * cell, gridY + i * cell, cell - 1, cell - 1, heatColor(t));
      const ink: Rgb = v === 0 ? [170, 170, 170] : t > 0.55 ? WHITE : i === j ? BLACK : RED;
      drawTextCentered(r, String(v), gridX + j * cell + cell / 2, Math.round(gridY + i * cell + (cell - th) / 2), ink, s);
    }
  }
  drawText(r, footer, m, gridY + n * cell + 10, GRAY, s);
  return r;
};
