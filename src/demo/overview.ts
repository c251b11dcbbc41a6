// The overview at the top of the page: the network as a row of boxes, one per
// layer, with its output shape, parameters and MACs (the library's
// summarize, from the layers' describe), a thumbnail of its first map, and
// the layer last looked at marked. Each box links to its backward-pass row.

import type { Tensor } from '../core/tensor.ts';
import type { SeedNetwork } from '../graph/seed-network.ts';
import { MNIST_SHAPE } from '../graph/seed-network.ts';
import { summarize } from '../graph/table.ts';
import { tilesRaster } from '../pictures/maps.ts';
import { paint } from './views.ts';

const short = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

/** The first channel of example 0 ([n, h, w, c]), or the first values as a square ([n, k]), as one tile. */
const thumbnail = (t: Tensor): Tensor => {
  if (t.shape.length === 4) {
    const [, h, w, c] = t.shape as [number, number, number, number];
    return { shape: [1, h, w, 1], data: Float32Array.from({ length: h * w }, (_, i) => t.data[i * c]!) };
  }
  const k = t.shape[1]!, side = Math.ceil(Math.sqrt(k));
  return { shape: [1, side, side, 1], data: Float32Array.from({ length: side * side }, (_, i) => (i < k ? t.data[i]! : 0)) };
};

export const createOverview = (box: HTMLElement, net: SeedNetwork) => {
  const s = summarize(net, MNIST_SHAPE);
  const boxes = new Map<string, { a: HTMLAnchorElement; c: HTMLCanvasElement }>();
  const add = (name: string, kind: string, shape: string, params: number, macs: number, target: string): void => {
    const a = document.createElement('a');
    a.href = `#${target}`;
    const c = document.createElement('canvas');
    c.width = c.height = 40;
    const facts = [shape, params > 0 ? `${short(params)} params` : '', macs > 0 ? `${short(macs)} MACs` : ''].filter((f) => f !== '');
    a.append(Object.assign(document.createElement('b'), { textContent: name }), Object.assign(document.createElement('span'), { className: 'kind', textContent: kind }), c,
      ...facts.map((f) => Object.assign(document.createElement('span'), { textContent: f })));
    a.title = `${name}: ${kind}, output ${shape}${params > 0 ? `, ${params.toLocaleString('en-US')} parameters` : ''}${macs > 0 ? `, ${macs.toLocaleString('en-US')} MACs per image` : ''}`;
    box.append(a);
    boxes.set(name, { a, c });
  };
  add('input', 'your digit', '28×28×1', 0, 0, 'draw-panel');
  for (const r of s.rows) if (r.name !== 'flatten') add(r.name, r.kind.replace(/ pad .*/, '').replace('max pool', 'pool'), r.outShape.join('×'), r.params, r.macs, `row-${r.name}`);
  const total = document.createElement('span');
  total.className = 'hint';
  total.textContent = `${s.params.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} MACs per image`;
  box.append(total);
  return {
    /** Thumbnails of the current input and every layer's output; null clears them. */
    render: (input: Tensor | null, outs: ReadonlyMap<string, Tensor>): void => {
      for (const [name, { c }] of boxes) {
        const t = name === 'input' ? input : outs.get(name);
        if (t === null || t === undefined) c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
        else paint(c, tilesRaster(thumbnail(t), 1, 1, name === 'dense2', false));
      }
    },
    /** Marks the layer last looked at. */
    here: (name: string | null): void => {
      for (const [n, { a }] of boxes) a.classList.toggle('here', n === name);
    },
  };
};
