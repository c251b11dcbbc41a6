// Picking one value in a map picture with the mouse, a finger or the keys:
// a click finds the value under it (the library's tileAt); a focused map
// moves a cursor with the arrow keys and picks with Enter or Space. Picks
// are drawn as boxes over the picture (tileBox).

import { tileAt, tileBox, type TileLayout, type TileRaster } from '../pictures/maps.ts';
import { paint } from './views.ts';

/** A value in a picture: its tile and its row and column in the tile. */
export interface Pick {
  readonly tile: number;
  readonly y: number;
  readonly x: number;
}

/** A box to draw over a picture, in values: tile, top-left (y, x), size. */
export interface Mark extends Pick {
  readonly h?: number;
  readonly w?: number;
  readonly color: string;
}

const pictures = new WeakMap<HTMLCanvasElement, TileRaster>();
const cursors = new WeakMap<HTMLCanvasElement, Pick>();

/** Paints a tile picture and remembers its layout for picking; `marks` are boxed over it. */
export const paintTiles = (canvas: HTMLCanvasElement, r: TileRaster, marks: readonly Mark[] = []): void => {
  pictures.set(canvas, r);
  paint(canvas, r);
  const ctx = canvas.getContext('2d')!;
  ctx.lineWidth = 2;
  for (const m of marks) {
    if (m.tile < 0 || m.tile >= r.layout.count) continue;
    const b = tileBox(r.layout, m.tile, m.y, m.x, m.h ?? 1, m.w ?? 1);
    ctx.strokeStyle = m.color;
    ctx.strokeRect(b.x - 1, b.y - 1, b.w + 2, b.h + 2);
  }
};

/** The layout painted last on the canvas, if any. */
export const layoutOf = (canvas: HTMLCanvasElement): TileLayout | undefined => pictures.get(canvas)?.layout;

/** Makes a tile picture pickable by pointer and keyboard; `onPick` gets the value picked. */
export const pickable = (canvas: HTMLCanvasElement, label: string, onPick: (p: Pick) => void): void => {
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'button');
  canvas.setAttribute('aria-label', `${label}: click a value, or use the arrow keys and Enter, to see its arithmetic`);
  canvas.addEventListener('click', (e) => {
    const l = layoutOf(canvas);
    if (l === undefined) return;
    const box = canvas.getBoundingClientRect();
    const p = tileAt(l, ((e.clientX - box.left) * canvas.width) / box.width, ((e.clientY - box.top) * canvas.height) / box.height);
    if (p === null) return;
    cursors.set(canvas, p);
    onPick(p);
  });
  canvas.addEventListener('keydown', (e) => {
    const l = layoutOf(canvas);
    if (l === undefined) return;
    const c = cursors.get(canvas) ?? { tile: 0, y: Math.floor(l.h / 2), x: Math.floor(l.w / 2) };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const m = moves[e.key];
    if (m !== undefined) {
      e.preventDefault();
      // Past a tile's edge the cursor goes on into the next tile (or the previous one).
      let { tile, y, x } = c;
      y += m[0];
      x += m[1];
      if (x < 0) { x = l.w - 1; tile--; }
      if (x >= l.w) { x = 0; tile++; }
      if (y < 0) { y = l.h - 1; tile -= l.cols; }
      if (y >= l.h) { y = 0; tile += l.cols; }
      if (tile < 0 || tile >= l.count) return;
      cursors.set(canvas, { tile, y, x });
      onPick({ tile, y, x });
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      cursors.set(canvas, c);
      onPick(c);
    }
  });
};
