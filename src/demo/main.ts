// The demo page: draw a digit, see what the network sees and computes, which
// pixels move its decision (saliency from our own backward closures), train
// it from scratch in a worker, and browse its test-set mistakes.

import * as E from 'fp-ts/lib/Either.js';
import { saliency, trace, type SeedParams } from '../graph/index.ts';
import { createWasmKernels } from '../ops/kernels/wasm/gemm-wasm.ts';
import { softmax } from '../ops/softmax.ts';
import { preprocess, toInput } from '../pictures/preprocess.ts';
import { networkFor } from '../training/recipe.ts';
import { MAX_MODEL_FILE_BYTES } from '../formats/limits.ts';
import { decodeWeights, encodeWeights } from '../training/weights.ts';
import { createPad } from './pad.ts';
import { pack, unpack } from './params.ts';
import type { FromWorker, Mistake, ToWorker } from './protocol.ts';
import { digitRaster, filtersRaster, MAP_LAYERS, mapsRaster, saliencyRaster } from '../pictures/maps.ts';
import { drawCurves, paint, type Series } from './views.ts';

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
/** Whether the page's model follows the weights being trained (from Train or Resume until a file or the shipped model is loaded). */
let following = false;
let trained: { readonly params: SeedParams; readonly name: string } | null = null;

const setModel = (p: SeedParams, name: string): void => {
  params = p;
  $('model-name').textContent = name;
  drawFilters($('filters'), p);
  render();
};

const drawFilters = (canvas: HTMLCanvasElement, p: SeedParams): void => paint(canvas, filtersRaster(p.conv1.w));

// --- prediction and the views of the current input ---

const bars = $('bars');
const barRows = Array.from({ length: 10 }, (_, c) => {
  const row = document.createElement('div');
  row.className = 'bar';
  row.dataset.class = String(c);
  row.innerHTML = `<span>${c}</span><div><div class="fill" style="width:0"></div></div><span class="pct">0.0%</span>`;
  row.addEventListener('click', () => {
    chosen = c;
    render();
  });
  bars.appendChild(row);
  return row;
});

const render = (): void => {
  if (input === null) paint($('seen'), digitRaster(new Uint8Array(784), 4));
  if (params === null || input === null || input.every((v) => v === 0)) {
    for (const id of ['saliency', ...MAP_LAYERS.map((name) => `map-${name}`)]) {
      const c = $<HTMLCanvasElement>(id);
      c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    }
    $('saliency-class').textContent = '–';
    $('prediction').textContent = '–';
    $('prediction').dataset.digit = '';
    barRows.forEach((r) => {
      r.querySelector<HTMLElement>('.fill')!.style.width = '0';
      r.querySelector('.pct')!.textContent = '';
      r.classList.remove('top', 'selected');
      r.dataset.prob = '0';
    });
    return;
  }
  paint($('seen'), digitRaster(input, 4));
  const x = toInput(input);
  const outs = new Map(trace(net, params, x, { kernels }).map((o) => [o.name, o.out] as const));
  const probs = softmax(outs.get('dense2')!).out.data;
  let top = 0;
  for (let c = 1; c < 10; c++) if (probs[c]! > probs[top]!) top = c;
  const cls = chosen ?? top;
  $('prediction').textContent = `${top} (${(100 * probs[top]!).toFixed(1)}%)`;
  $('prediction').dataset.digit = String(top);
  barRows.forEach((r, c) => {
    r.querySelector<HTMLElement>('.fill')!.style.width = `${(100 * probs[c]!).toFixed(1)}%`;
    r.querySelector('.pct')!.textContent = `${(100 * probs[c]!).toFixed(1)}%`;
    r.classList.toggle('top', c === top);
    r.classList.toggle('selected', c === cls);
    r.dataset.prob = String(probs[c]);
  });
  $('saliency-class').textContent = String(cls);
  paint($('saliency'), saliencyRaster(input, saliency(net, params, x, cls, { kernels }).gradient.data, 8));
  for (const name of MAP_LAYERS) paint($(`map-${name}`), mapsRaster(outs.get(name)!));
};

const pad = createPad($('pad'), (image) => {
  input = preprocess(image);
  render();
});
$('clear').addEventListener('click', () => {
  input = null;
  chosen = null;
  pad.clear();
  render();
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
const lossPoints: Array<[number, number]> = [];
const accPoints: Array<[number, number]> = [];
const testPoints: Array<[number, number]> = [];
let epochsPlanned = 2;

const buttons = (training: boolean, canResume: boolean): void => {
  $<HTMLButtonElement>('train').disabled = training;
  $<HTMLButtonElement>('stop').disabled = !training;
  $<HTMLButtonElement>('resume').disabled = training || !canResume;
};

const drawTraining = (): void =>
  drawCurves($('curves'), epochsPlanned, 'epochs', [
    { label: 'train loss', color: '#d2562c', points: lossPoints, yMax: 2.5 } satisfies Series,
    { label: 'train accuracy', color: '#4a78c2', points: accPoints, yMax: 1 },
    { label: 'test accuracy', color: '#2a9a4a', points: testPoints, yMax: 1 },
  ]);

$('train').addEventListener('click', () => {
  epochsPlanned = Number($<HTMLSelectElement>('epochs').value);
  lossPoints.length = 0;
  accPoints.length = 0;
  testPoints.length = 0;
  drawTraining();
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
      lossPoints.push([at, m.loss]);
      accPoints.push([at, m.accuracy]);
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
      testPoints.push([m.epoch + 1, m.testAccuracy]);
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
render();
