// The page's backward pass: one row per layer with its output, dLoss/dOut and
// dLoss/dParams (from the library's backwardTrace), the loss at the top, and
// the arithmetic of any value picked in a row (explainValue, explainGradient,
// explainLoss), with boxes over the values that made it.

import type { Tensor } from '../core/tensor.ts';
import { explainGradient, explainLoss, explainParamGradient, explainValue, type Arithmetic } from '../graph/arithmetic.ts';
import type { BackwardTrace, LayerGradients } from '../graph/backward.ts';
import type { SeedNetwork, SeedParams } from '../graph/seed-network.ts';
import { summarize } from '../graph/table.ts';
import type { Tree } from '../graph/tree.ts';
import { MNIST_SHAPE } from '../graph/seed-network.ts';
import { layerIndexAt, layerRaster, paramIndexAt, paramRaster, type TileLayout } from '../pictures/maps.ts';
import { arithmeticHtml, lossHtml, num } from './arithmetic-view.ts';
import { layoutOf, paintTiles, pickable, type Mark, type Pick } from './pick.ts';

/** Which value is explained: a layer's output, its dLoss/dOut, or an entry of dLoss/dParams. */
export interface Selection {
  readonly layer: string;
  readonly side: 'out' | 'dout' | 'dparam';
  readonly leaf?: string;
  readonly at: readonly number[];
}

type AnyLayer = SeedNetwork['layers'][keyof SeedNetwork['layers']];

const HERE = '#f0a030';
const SOURCE = '#2a9a4a';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls !== '') e.className = cls;
  if (text !== '') e.textContent = text;
  return e;
};

const figure = (caption: string, canvas: HTMLCanvasElement): HTMLElement => {
  const f = el('figure');
  f.append(el('figcaption', '', caption), canvas);
  return f;
};

/** The rows of the backward pass; `onHere` is told which layer was picked last (for the overview). */
export const createBackwardView = (rowsBox: HTMLElement, lossBox: HTMLElement, net: SeedNetwork, onHere: (layer: string) => void) => {
  // flatten only reshapes relu3's maps; its row would repeat relu3's.
  const names = Object.keys(net.layers).filter((n) => n !== 'flatten');
  const table = new Map(summarize(net, MNIST_SHAPE).rows.map((r) => [r.name, r] as const));
  const arith = el('div', 'arith');
  arith.id = 'arith';
  arith.setAttribute('aria-live', 'polite');
  let state: { bt: BackwardTrace<SeedParams>; params: SeedParams; label: number } | null = null;
  let selection: Selection | null = null;

  const rows = new Map<string, { row: HTMLElement; out: HTMLCanvasElement; dout: HTMLCanvasElement; params: Map<string, HTMLCanvasElement> }>();
  // Only rows on (or near) the screen are painted; the others are painted when they scroll into view.
  const visible = new Set<string>();
  const painted = new Set<string>();
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const name = (e.target as HTMLElement).dataset.layer!;
      if (e.isIntersecting) visible.add(name);
      else visible.delete(name);
    }
    if ([...visible].some((n) => !painted.has(n))) draw();
  }, { rootMargin: '300px' });
  for (const name of names) {
    const r = table.get(name)!;
    const row = el('div', 'layer-row');
    row.id = `row-${name}`;
    const macs = r.macs > 0 ? ` · ${r.macs.toLocaleString('en-US')} MACs` : '';
    const ps = r.params > 0 ? ` · ${r.params.toLocaleString('en-US')} parameters` : '';
    row.append(el('h3', '', `${name}: ${r.kind} → ${r.outShape.join('×')}${ps}${macs}`));
    const figs = el('div', 'figs');
    const canvas = (side: Selection['side'], leaf?: string): HTMLCanvasElement => {
      const c = el('canvas', 'pic');
      c.dataset.layer = name;
      c.dataset.side = side;
      pickable(c, `${name} ${side === 'out' ? 'output' : side === 'dout' ? 'dLoss/dOut' : `dLoss/d${leaf}`}`, (p) => pick(name, side, c, p, leaf));
      return c;
    };
    const out = canvas('out'), dout = canvas('dout');
    figs.append(figure(`${name} output`, out), figure(`dLoss/dOut: how the loss moves with each of ${name}'s outputs`, dout));
    const params = new Map<string, HTMLCanvasElement>();
    const leafNames = r.params === 0 ? [] : name.startsWith('dense') ? ['w', 'b'] : name.startsWith('conv') ? ['w'] : ['b'];
    for (const leaf of leafNames) {
      const c = canvas('dparam', leaf);
      params.set(leaf, c);
      const what = name.startsWith('conv') ? 'one 3×3 tile per input channel (row) and filter (column)' : name.startsWith('add') ? 'the untied bias: one value per position and channel' : leaf === 'w' ? 'one tile per unit: its weights from every input' : 'one value per unit';
      figs.append(figure(`dLoss/d${leaf} of ${name}: ${what}`, c));
    }
    row.append(figs);
    row.dataset.layer = name;
    rowsBox.append(row);
    seen.observe(row);
    rows.set(name, { row, out, dout, params });
  }

  const layerOf = (name: string): LayerGradients => state!.bt.layers.find((l) => l.name === name)!;
  const paramsOf = (name: string): Tree => (state!.params as unknown as Record<string, Tree | undefined>)[name] ?? {};
  const layer = (name: string): AnyLayer => net.layers[name as keyof SeedNetwork['layers']];
  const prevRow = (name: string): string | undefined => names[names.indexOf(name) - 1];
  const nextLayer = (name: string): string | undefined => Object.keys(net.layers)[Object.keys(net.layers).indexOf(name) + 1];
  const where = (at: readonly number[]): string => `[${at.slice(1).join(',')}]`;

  const pick = (name: string, side: Selection['side'], canvas: HTMLCanvasElement, p: Pick, leaf?: string): void => {
    const l: TileLayout | undefined = layoutOf(canvas);
    if (state === null || l === undefined) return;
    const g = layerOf(name);
    const at = side === 'dparam' ? paramIndexAt((paramsOf(name) as Record<string, Tensor>)[leaf!]!.shape, l, p) : layerIndexAt(side === 'out' ? g.out.shape : g.dOut.shape, l, p);
    if (at === null) return;
    selection = { layer: name, side, at, ...(leaf === undefined ? {} : { leaf }) };
    draw();
    onHere(name);
  };

  /** The arithmetic of the selection, and the boxes it puts over the pictures. */
  const explain = (s: Selection): { html: string; marks: Array<[HTMLCanvasElement, Mark]> } => {
    const g = layerOf(s.layer);
    const row = rows.get(s.layer)!;
    const kind = layer(s.layer).spec?.op;
    const marks: Array<[HTMLCanvasElement, Mark]> = [];
    const cell = (c: HTMLCanvasElement, at: readonly number[]): Mark =>
      at.length === 4 ? { tile: at[3]!, y: at[1]!, x: at[2]!, color: HERE } : { tile: 0, y: Math.floor(at[1]! / layoutOf(c)!.w), x: at[1]! % layoutOf(c)!.w, color: HERE };
    if (s.side === 'out') {
      marks.push([row.out, cell(row.out, s.at)]);
      const prev = prevRow(s.layer);
      const below = prev === undefined ? undefined : rows.get(prev)!.out;
      if (below !== undefined && s.at.length === 4 && layoutOf(below) !== undefined) {
        const [, y, x, c] = s.at as [number, number, number, number];
        if (kind === 'conv') for (let t = 0; t < g.input.shape[3]!; t++) marks.push([below, { tile: t, y: y - 1, x: x - 1, h: 3, w: 3, color: SOURCE }]);
        else if (kind === 'maxPool') marks.push([below, { tile: c, y: 2 * y, x: 2 * x, h: 3, w: 3, color: SOURCE }]);
        else marks.push([below, { tile: c, y, x, color: SOURCE }]);
      }
      const a = explainValue(layer(s.layer), paramsOf(s.layer), g.input, g.out, s.at);
      const input = prev === undefined ? 'input pixel' : `${prev} out`;
      return { html: `<h4>${s.layer} output at ${where(s.at)} = ${num(a.value)}</h4>${arithmeticHtml(a, { input, weight: kind === 'conv' ? 'filter' : 'weight', result: `${s.layer} out` })}`, marks };
    }
    if (s.side === 'dout') {
      marks.push([row.dout, cell(row.dout, s.at)]);
      const next = nextLayer(s.layer);
      if (next === undefined) {
        const l = explainLoss(state!.bt.logits, 0, state!.label);
        return { html: `<h4>dLoss/dlogit ${s.at[1]} = p − one-hot = ${num(l.dLogits[s.at[1]!]!)}</h4>${lossHtml(l)}`, marks };
      }
      const n = layerOf(next);
      const a: Arithmetic = explainGradient(layer(next), paramsOf(next), n.input, n.dOut, n.dIn, s.at);
      const nextKind = layer(next).spec?.op;
      const names = { input: `dLoss/d(${next} out)`, weight: nextKind === 'maxPool' ? 'won the window (1) or not (0)' : nextKind === 'conv' ? 'filter weight' : 'weight', result: `dLoss/d(${s.layer} out)` };
      return { html: `<h4>dLoss/d(${s.layer} out) at ${where(s.at)} = ${num(a.value)}: what ${next}'s backward sent down</h4>${arithmeticHtml(a, names)}`, marks };
    }
    const grad = (g.dParams as Record<string, Tensor>)[s.leaf!]!;
    const canvas = row.params.get(s.leaf!)!;
    const l = layoutOf(canvas)!;
    const off = s.at.reduce((o, v, i) => o * grad.shape[i]! + v, 0);
    const box: Mark = grad.shape.length === 4
      ? { tile: grad.shape[2] === 1 ? s.at[3]! : s.at[2]! * grad.shape[3]! + s.at[3]!, y: s.at[0]!, x: s.at[1]!, color: HERE }
      : grad.shape.length === 3 ? { tile: s.at[2]!, y: s.at[0]!, x: s.at[1]!, color: HERE }
        : { tile: grad.shape.length === 2 ? s.at[1]! : 0, y: Math.floor(s.at[0]! / l.w), x: s.at[0]! % l.w, color: HERE };
    marks.push([canvas, box]);
    const a = explainParamGradient(layer(s.layer), g.input, g.dOut, g.dParams, s.leaf!, s.at);
    const names = kind === 'conv' ? { input: `input under w${'[' + s.at.join(',') + ']'}`, weight: `dLoss/d(${s.layer} out)`, result: `dLoss/d${s.leaf}` }
      : kind === 'dense' && s.leaf === 'w' ? { input: 'input', weight: `dLoss/d(${s.layer} out)`, result: `dLoss/d${s.leaf}` }
        : { input: `dLoss/d(${s.layer} out)`, weight: 'added (1)', result: `dLoss/d${s.leaf}` };
    return { html: `<h4>dLoss/d${s.leaf}${'[' + s.at.join(',') + ']'} of ${s.layer} = ${num(grad.data[off]!)}; one SGD step moves this parameter by −lr × this value</h4>${arithmeticHtml(a, names)}`, marks };
  };

  const draw = (): void => {
    if (state === null) return;
    const { bt, label } = state;
    const l = explainLoss(bt.logits, 0, label);
    lossBox.innerHTML = `<p class="eq">loss = −log p[${label}] = ${num(l.loss)}</p><p class="hint">softmax − one-hot = dLoss/dlogits, where the backward pass starts:</p>` +
      '<div class="lossbars">' + l.dLogits.map((d, c) => {
        const h = Math.min(50, Math.abs(d) * 50);
        return `<div><div class="sbar"><span class="${d >= 0 ? 'pos' : 'neg'}" style="height:${h.toFixed(1)}%"></span></div>${c}<br>${num(d)}</div>`;
      }).join('') + '</div>';
    lossBox.dataset.loss = String(l.loss);
    const explained = selection === null ? null : explain(selection);
    const marksFor = (c: HTMLCanvasElement): Mark[] => (explained?.marks ?? []).filter(([m]) => m === c).map(([, m]) => m);
    painted.clear();
    for (const [name, r] of rows) {
      r.row.classList.toggle('here', selection?.layer === name);
      if (!visible.has(name) && !marksFor(r.out).length && !marksFor(r.dout).length) continue;
      painted.add(name);
      const g = layerOf(name);
      paintTiles(r.out, layerRaster(g.out), marksFor(r.out));
      paintTiles(r.dout, layerRaster(g.dOut, true), marksFor(r.dout));
      for (const [leaf, c] of r.params) paintTiles(c, paramRaster((g.dParams as Record<string, Tensor>)[leaf]!), marksFor(c));
    }
    if (explained !== null && selection !== null) {
      arith.innerHTML = explained.html;
      rows.get(selection.layer)!.row.append(arith);
    } else arith.remove();
  };

  return {
    /** Shows a new backward pass; a value picked before is explained again with the new numbers. */
    render: (bt: BackwardTrace<SeedParams>, params: SeedParams, label: number): void => {
      state = { bt, params, label };
      draw();
    },
    /** Forgets the pass (an empty pad) and the picked value. */
    clear: (): void => {
      state = null;
      selection = null;
      arith.remove();
      lossBox.textContent = '';
      for (const r of rows.values()) for (const c of [r.out, r.dout, ...r.params.values()]) c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    },
  };
};
