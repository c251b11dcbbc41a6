// The demo page: draw a digit, see what the network sees and computes, which
// pixels move its decision (saliency from our own backward closures), the
// backward pass and the arithmetic of any value, teach it the digit one SGD
// step at a time, train it from scratch in a worker, and browse its
// test-set mistakes.

import * as E from 'fp-ts/lib/Either.js';
import { backwardTrace, explainValue, predict, saliency, sgdStep, trace, type SeedParams } from '../graph/index.ts';
import { createWasmKernels } from '../ops/kernels/wasm/gemm-wasm.ts';
import { softmax } from '../ops/softmax.ts';
import { preprocess, toInput } from '../pictures/preprocess.ts';
import { networkFor } from '../program/recipe/recipe.ts';
import { argmaxRows } from '../training/batches.ts';
import { MAX_MODEL_FILE_BYTES } from '../formats/limits.ts';
import { decodeWeights, encodeWeights } from '../program/recipe/weights.ts';
import { createPad, inkExtent } from './pad.ts';
import { pack, unpack } from './params.ts';
import type { FromWorker, Mistake, ToWorker } from './protocol.ts';
import { digitRaster, filtersRaster, layerIndexAt, MAP_LAYERS, mapsRaster, paramRaster, saliencyRaster, shortNumber } from '../pictures/maps.ts';
import { curvesSvg, type Point } from '../pictures/svg.ts';
import { leaves } from '../graph/tree.ts';
import { paint } from './views.ts';
import { arithmeticHtml, num } from './arithmetic-view.ts';
import { createBackwardView } from './backward-view.ts';
import { createOverview } from './overview.ts';
import { layoutOf, paintTiles, pickable } from './pick.ts';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`missing #${id}`);
  return el as T;
};

const kernels = createWasmKernels();
const net = networkFor({ init: 'he' });

let params: SeedParams | null = null;
let shipped: SeedParams | null = null;
let input: Uint8Array | null = null;
let chosen: number | null = null;
/** The true label of the backward pass and of teaching; null: the prediction. */
let label: number | null = null;
/** The drawing the teach button works on, as render last saw it. */
let current: { readonly x: ReturnType<typeof toInput>; readonly truth: number; readonly probs: readonly number[] } | null = null;
/** A drawing too small to be a digit (a dot, a tick). */
let tooSmall = false;
/** Models before each teaching step, for Undo, with the loss each step left. */
const taught: Array<{ readonly params: SeedParams; readonly name: string; readonly line: string }> = [];
/** Whether the page's model follows the weights being trained (from Train or Resume until a file or the shipped model is loaded). */
let following = false;
let trained: { readonly params: SeedParams; readonly name: string } | null = null;

const setModel = (p: SeedParams, name: string, keepSteps = false): void => {
  params = p;
  if (!keepSteps) forgetSteps();
  $('model-name').textContent = name;
  drawFilters($('filters'), p);
  render();
};

const drawFilters = (canvas: HTMLCanvasElement, p: SeedParams): void => paint(canvas, filtersRaster(p.conv1.w));

// --- prediction and the views of the current input ---

const bars = $('bars');
const barRows = Array.from({ length: 10 }, (_, c) => {
  const row = document.createElement('button');
  row.type = 'button';
  row.className = 'bar';
  row.dataset.class = String(c);
  row.setAttribute('aria-label', `class ${c}: show its saliency`);
  row.innerHTML = `<span>${c}</span><div><div class="fill" style="width:0"></div></div><span class="pct">0.0%</span>`;
  row.addEventListener('click', () => {
    chosen = c;
    render();
  });
  bars.appendChild(row);
  return row;
});

const backward = createBackwardView($('backward-rows'), $('loss-view'), net, (name) => overview.here(name));
const overview = createOverview($('overview'), net);

const labelButtons = Array.from({ length: 10 }, (_, c) => {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = String(c);
  b.dataset.label = String(c);
  b.setAttribute('role', 'radio');
  b.setAttribute('aria-checked', 'false');
  b.addEventListener('click', () => {
    label = c;
    render();
  });
  $('labels').append(b);
  return b;
});

const clearCanvas = (id: string): void => {
  const c = $<HTMLCanvasElement>(id);
  c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
};

const render = (): void => {
  if (input === null) paint($('seen'), digitRaster(new Uint8Array(784), 4));
  const empty = input === null || input.every((v) => v === 0);
  $('draw-note').textContent = empty ? 'Draw a digit on the pad above.' : tooSmall ? 'Draw a whole digit: a dot or a short stroke would be blown up to fill the 20×20 box MNIST digits fill, and the network would read a blob.' : '';
  if (params === null || input === null || empty || tooSmall) {
    if (input !== null) paint($('seen'), digitRaster(input, 4));
    for (const id of ['saliency', ...MAP_LAYERS.map((name) => `map-${name}`)]) clearCanvas(id);
    $('inside-arith').replaceChildren();
    $('saliency-class').textContent = '–';
    $('prediction').textContent = '–';
    $('prediction').dataset.digit = '';
    barRows.forEach((r) => {
      r.querySelector<HTMLElement>('.fill')!.style.width = '0';
      r.querySelector('.pct')!.textContent = '';
      r.classList.remove('top', 'selected');
      r.dataset.prob = '0';
    });
    labelButtons.forEach((b) => b.setAttribute('aria-checked', 'false'));
    current = null;
    backward.clear();
    overview.render(null, new Map());
    $<HTMLButtonElement>('teach').disabled = true;
    $('teach-status').textContent = params === null ? 'No model yet.' : 'Draw a digit first.';
    return;
  }
  paint($('seen'), digitRaster(input, 4));
  const x = toInput(input);
  const logits = predict(net, params, x, { kernels });
  const probs = softmax(logits).out.data;
  const top = argmaxRows(logits)[0]!;
  const cls = chosen ?? top;
  const truth = label ?? top;
  $('prediction').textContent = `${top} (${(100 * probs[top]!).toFixed(1)}%)`;
  $('prediction').dataset.digit = String(top);
  barRows.forEach((r, c) => {
    r.querySelector<HTMLElement>('.fill')!.style.width = `${(100 * probs[c]!).toFixed(1)}%`;
    r.querySelector('.pct')!.textContent = `${(100 * probs[c]!).toFixed(1)}%`;
    r.classList.toggle('top', c === top);
    r.classList.toggle('selected', c === cls);
    r.dataset.prob = String(probs[c]);
  });
  labelButtons.forEach((b, c) => b.setAttribute('aria-checked', String(c === truth)));
  $('saliency-class').textContent = String(cls);
  paint($('saliency'), saliencyRaster(input, saliency(net, params, x, cls, { kernels }).gradient.data, 8));
  current = { x, truth, probs: Array.from(probs) };
  $<HTMLButtonElement>('teach').disabled = false;
  drawInsideSoon();
};

// The maps, the backward pass and the overview take a forward and a backward pass and some forty pictures: drawn at most
// every 250 ms while drawing, and every 2 s while training replaces the weights, so that the page never falls behind.
let insideAt = 0;
let insideTimer: ReturnType<typeof setTimeout> | null = null;
const drawInsideSoon = (): void => {
  if (insideTimer !== null) return;
  const wait = Math.max(0, insideAt + (following ? 2000 : 250) - performance.now());
  insideTimer = setTimeout(() => {
    insideTimer = null;
    insideAt = performance.now();
    drawInside();
  }, wait);
};

const drawInside = (): void => {
  if (params === null || current === null || input === null || tooSmall) return;
  const { x, truth } = current;
  const bt = backwardTrace(net, params, x, [truth], { kernels });
  const outs = new Map(bt.layers.map((l) => [l.name, l.out] as const));
  for (const name of MAP_LAYERS) paintTiles($(`map-${name}`), mapsRaster(outs.get(name)!));
  insideView?.();
  backward.render(bt, params, truth);
  overview.render(x, outs);
  if (taught.length === 0) $('teach-status').textContent = `Label ${truth}: loss ${num(bt.loss)}. Choose a learning rate and teach.`;
};


// --- the arithmetic of a value in the maps of "Inside the network": conv, bias and ReLU of a block, or a pool's window ---

let insideView: (() => void) | null = null;
for (const name of MAP_LAYERS) {
  const canvas = $<HTMLCanvasElement>(`map-${name}`);
  pickable(canvas, `${name} maps`, (p) => {
    insideView = () => {
      if (params === null || input === null) return;
      // Each layer's input is the output before it (the network's input for the first).
      const x = toInput(input);
      const outs = trace(net, params, x, { kernels });
      const byName = new Map(outs.map((o, i) => [o.name, { input: i === 0 ? x : outs[i - 1]!.out, out: o.out }] as const));
      const out = byName.get(name)!.out;
      const at = layerIndexAt(out.shape, layoutOf(canvas)!, p);
      if (at === null) return;
      const k = name.slice(-1);
      const chain = name.startsWith('relu') ? [`conv${k}`, `add${k}`, name] : [name];
      const html = chain.map((step) => {
        const g = byName.get(step)!;
        const layer = net.layers[step as keyof typeof net.layers];
        const a = explainValue(layer, (params as unknown as Record<string, never>)[step] ?? {}, g.input, g.out, at);
        return `<h4>${step}</h4>${arithmeticHtml(a, { input: 'input', weight: 'filter', result: `${step} out` })}`;
      }).join('');
      const box = $('inside-arith');
      box.innerHTML = `<h4>${name} at [${at.slice(1).join(',')}] = ${num(out.data[at.reduce((o, v, i) => o * out.shape[i]! + v, 0)]!)}</h4>${html}`;
      canvas.after(box);
      paintTiles(canvas, mapsRaster(out), [{ tile: at[3]!, y: at[1]!, x: at[2]!, color: '#f0a030' }]);
    };
    insideView();
    overview.here(name);
  });
}

const pad = createPad($('pad'), (image) => {
  input = preprocess(image);
  tooSmall = inkExtent(image) < image.width / 7;
  forgetSteps();
  render();
});
$('clear').addEventListener('click', () => {
  input = null;
  chosen = null;
  label = null;
  insideView = null;
  $('inside-arith').replaceChildren();
  forgetSteps();
  pad.clear();
  render();
});

// --- teaching: one SGD step on the drawing, with undo ---

/** A new drawing or model starts a new lesson: the steps so far can no longer be undone one by one. */
function forgetSteps(): void {
  taught.length = 0;
  $<HTMLButtonElement>('undo').disabled = true;
  $('teach-result').replaceChildren();
}

const showSteps = (): void => {
  $('teach-result').querySelector('.steps')?.remove();
  const list = document.createElement('ol');
  list.className = 'steps';
  for (const t of taught) list.append(Object.assign(document.createElement('li'), { textContent: t.line }));
  $('teach-result').prepend(list);
};

$('teach').addEventListener('click', () => {
  if (params === null || current === null) return;
  const lr = Number($<HTMLSelectElement>('lr').value);
  const { x, truth } = current;
  const s = sgdStep(net, params, { x, labels: [truth] }, lr, { kernels });
  const after = softmax(s.after.logits).out.data;
  const top = argmaxRows(s.after.logits)[0]!;
  const before = current.probs;
  const topBefore = argmaxRows(s.before.logits)[0]!;
  const base = ($('model-name').textContent ?? '').replace(/ \+ \d+ SGD steps? on your drawing$/, '');
  const line = `lr ${lr}: loss for label ${truth} ${num(s.before.loss)} → ${num(s.after.loss)}; p[${truth}] ${(100 * before[truth]!).toFixed(1)}% → ${(100 * after[truth]!).toFixed(1)}%; prediction ${topBefore} → ${top}`;
  taught.push({ params, name: $('model-name').textContent ?? '', line });
  following = false;
  setModel(s.params, `${base} + ${taught.length} SGD step${taught.length === 1 ? '' : 's'} on your drawing`, true);
  $<HTMLButtonElement>('undo').disabled = false;
  $('teach-status').textContent = `Step ${taught.length}: ${line}`;
  $('teach-status').dataset.loss = String(s.after.loss);
  $('teach-status').dataset.steps = String(taught.length);
  // What the step changed: every parameter's update, -lr · dLoss/dp.
  const figs = document.createElement('div');
  figs.className = 'figs';
  for (const [path, u] of leaves(s.update)) {
    const f = document.createElement('figure');
    const c = document.createElement('canvas');
    c.className = 'pic';
    let big = 0;
    for (const v of u.data) big = Math.max(big, Math.abs(v));
    f.append(Object.assign(document.createElement('figcaption'), { textContent: `${path}: update −lr·dLoss/d${path.split('.').pop()}, largest change ${shortNumber(big)}` }), c);
    paint(c, paramRaster(u));
    figs.append(f);
  }
  $('teach-result').replaceChildren(figs);
  showSteps();
});

$('undo').addEventListener('click', () => {
  const last = taught.pop();
  if (last === undefined) return;
  setModel(last.params, last.name, true);
  $<HTMLButtonElement>('undo').disabled = taught.length === 0;
  $('teach-status').textContent = taught.length === 0 ? 'Back to the model before teaching.' : `Back to step ${taught.length}.`;
  $('teach-status').dataset.steps = String(taught.length);
  $('teach-result').replaceChildren();
  if (taught.length > 0) showSteps();
});

// --- models: the shipped checkpoint, files, and the weights being trained ---

const loadBytes = (bytes: Uint8Array, name: string): boolean => {
  const r = decodeWeights(bytes);
  if (E.isLeft(r)) {
    $('model-error').textContent = `${name}: ${r.left}`;
    return false;
  }
  $('model-error').textContent = '';
  following = false;
  setModel(r.right, name);
  return true;
};

fetch('model.safetensors')
  .then(async (r) => {
    if (!r.ok) throw new Error(r.status === 404 ? 'the server has no models/default.safetensors' : `HTTP ${r.status}`);
    if (loadBytes(new Uint8Array(await r.arrayBuffer()), 'shipped (default recipe)')) shipped = params;
  })
  .catch((err: unknown) => {
    $('model-error').textContent = `the shipped model did not load: ${(err as Error).message}`;
  });

// The file picker's label is a button for the keyboard too.
const fileLabel = $<HTMLInputElement>('model-file').parentElement!;
fileLabel.tabIndex = 0;
fileLabel.setAttribute('role', 'button');
fileLabel.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $<HTMLInputElement>('model-file').click();
  }
});
$<HTMLInputElement>('model-file').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file === undefined) return;
  // Refused by its size before a byte is read, as the CLI refuses it.
  if (file.size > MAX_MODEL_FILE_BYTES) {
    $('model-error').textContent = `${file.name}: more than ${MAX_MODEL_FILE_BYTES / 2 ** 20} MiB, the limit for a checkpoint or weights file`;
  } else {
    loadBytes(new Uint8Array(await file.arrayBuffer()), file.name);
  }
  (e.target as HTMLInputElement).value = '';
});
$('model-reset').addEventListener('click', () => {
  if (shipped !== null) {
    $('model-error').textContent = '';
    following = false;
    setModel(shipped, 'shipped (default recipe)');
  }
});

// --- training in the worker ---

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);
send({ kind: 'data', url: new URL('mnist/', location.href).href });
const lossPoints: Point[] = [];
const accPoints: Point[] = [];
const testPoints: Point[] = [];
let epochsPlanned = 2;

const buttons = (training: boolean, canResume: boolean): void => {
  $<HTMLButtonElement>('train').disabled = training;
  $<HTMLButtonElement>('stop').disabled = !training;
  $<HTMLButtonElement>('resume').disabled = training || !canResume;
};

// The library's chart (as the CLI's loss.svg and accuracy.svg): loss and accuracy each on their own axes, with ticks.
/** Per weight tensor (the biases follow their weights), log10 of its gradient and update sizes over the epochs. */
const healthPoints = new Map<string, { grad: Point[]; ratio: Point[] }>();
const LAYER_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
const drawHealth = (): void => {
  const series = (which: 'grad' | 'ratio') => [...healthPoints].map(([path, h], k) => ({ name: path.replace('.w', ''), color: LAYER_COLORS[k % LAYER_COLORS.length]!, points: h[which] }));
  $('grad-chart').innerHTML = curvesSvg(series('grad'), { title: 'mean |dLoss/dw| per layer', xLabel: 'epoch', yLabel: 'log10 mean |gradient|', height: 260 });
  $('ratio-chart').innerHTML = curvesSvg(series('ratio'), { title: 'update / weight per step', xLabel: 'epoch', yLabel: 'log10 (mean |Δw| / mean |w|)', height: 260 });
};

const drawTraining = (): void => {
  $('loss-chart').innerHTML = curvesSvg([{ name: 'train loss', color: '#d2562c', points: lossPoints }],
    { title: 'training loss', xLabel: 'epoch', yLabel: 'loss', height: 260 });
  $('accuracy-chart').innerHTML = curvesSvg([
    { name: 'train accuracy', color: '#4a78c2', points: accPoints },
    { name: 'test accuracy', color: '#2a9a4a', points: testPoints },
  ], { title: 'accuracy', xLabel: 'epoch', yLabel: 'accuracy', height: 260 });
};

$('train').addEventListener('click', () => {
  epochsPlanned = Number($<HTMLSelectElement>('epochs').value);
  lossPoints.length = 0;
  accPoints.length = 0;
  testPoints.length = 0;
  healthPoints.clear();
  drawTraining();
  drawHealth();
  buttons(true, false);
  following = true;
  send({ kind: 'train', epochs: epochsPlanned, seed: Date.now() % 1_000_000 });
});
$('stop').addEventListener('click', () => send({ kind: 'stop' }));
$('resume').addEventListener('click', () => {
  buttons(true, false);
  following = true;
  if (trained !== null) setModel(trained.params, trained.name);
  send({ kind: 'resume' });
});
$('download').addEventListener('click', () => {
  if (params === null) return;
  const blob = new Blob([encodeWeights(params, `downloaded from the demo page: ${$('model-name').textContent ?? ''}`) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'mnist-cnn-weights.safetensors';
  a.click();
  // Revoked later: the browser reads the blob after the click returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
});

const mistakesBox = $('mistakes');
const MISTAKES_SHOWN = 48;
const showMistakes = (accuracy: number, list: readonly Mistake[]): void => {
  const shown = Math.min(list.length, MISTAKES_SHOWN);
  $('scan-status').textContent =
    `test accuracy ${(100 * accuracy).toFixed(2)}%: ${list.length} mistakes; the ${shown} most confident, true class green, predicted red`;
  mistakesBox.replaceChildren(
    ...list.slice(0, shown).map((m) => {
      const card = document.createElement('div');
      card.className = 'mistake';
      const c = document.createElement('canvas');
      paint(c, digitRaster(m.pixels, 2));
      card.append(c, `#${m.index}: true ${m.label}, predicted ${m.predicted} (${(100 * m.probs[m.predicted]!).toFixed(1)}%)`);
      m.probs.forEach((p, d) => {
        const row = document.createElement('div');
        row.className = `p${d === m.label ? ' right' : d === m.predicted ? ' wrong' : ''}`;
        row.innerHTML = `<span>${d}</span><div style="width:${(100 * p).toFixed(1)}%"></div>`;
        card.append(row);
      });
      return card;
    }),
  );
};
$('scan').addEventListener('click', () => {
  if (params === null) return;
  $<HTMLButtonElement>('scan').disabled = true;
  send({ kind: 'mistakes', params: pack(params) });
});

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.kind) {
    case 'status':
      $(m.source === 'train' ? 'train-status' : 'scan-status').textContent = m.text;
      break;
    case 'progress': {
      const at = m.epoch + m.step / m.steps;
      lossPoints.push({ x: at, y: m.loss });
      accPoints.push({ x: at, y: m.accuracy });
      for (const h of m.health ?? []) {
        if (!h.path.endsWith('.w')) continue;
        const p = healthPoints.get(h.path) ?? { grad: [], ratio: [] };
        p.grad.push({ x: at, y: Math.log10(h.gradMeanAbs) });
        p.ratio.push({ x: at, y: Math.log10(h.updateRatio) });
        healthPoints.set(h.path, p);
      }
      if (m.health !== undefined) drawHealth();
      drawTraining();
      const p = unpack(m.params);
      drawFilters($('train-filters'), p);
      $('train-status').textContent =
        `epoch ${m.epoch + 1}/${m.epochs}, step ${m.step}/${m.steps}, loss ${m.loss.toFixed(4)}, lr ${m.lr.toExponential(2)}, ${m.imagesPerSecond.toFixed(0)} images/s on ${m.threads === 1 ? 'one thread' : `${m.threads} threads`}`;
      $('train-status').dataset.loss = String(m.loss);
      $('train-status').dataset.threads = String(m.threads);
      $('train-status').dataset.step = String(m.epoch * m.steps + m.step);
      trained = { params: p, name: `trained in this page (epoch ${m.epoch + 1}, step ${m.step})` };
      // A model loaded meanwhile stays; Resume (or Train) follows the training again.
      if (following) setModel(trained.params, trained.name);
      break;
    }
    case 'epoch':
      testPoints.push({ x: m.epoch + 1, y: m.testAccuracy });
      drawTraining();
      break;
    case 'stopped':
      buttons(false, !m.finished);
      $('train-status').textContent += m.finished ? ' — finished.' : ' — stopped.';
      break;
    case 'mistakes':
      $<HTMLButtonElement>('scan').disabled = false;
      showMistakes(m.accuracy, m.mistakes);
      break;
    case 'error':
      if (m.source === 'scan') {
        $<HTMLButtonElement>('scan').disabled = false;
        $('scan-status').textContent = `error: ${m.message}`;
      } else {
        $('train-status').textContent = `error: ${m.message}`;
      }
      break;
  }
};

drawTraining();
drawHealth();
render();
