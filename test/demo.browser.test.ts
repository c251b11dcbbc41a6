/// <reference lib="dom" />
// The demo page in a real browser (Debian's chromium driven by playwright-core):
// a drawn 7 is read as 7 with the shipped model, the maps and the saliency are
// drawn, a dot asks for a digit, the backward pass follows the label picked,
// a value of conv2 shows the arithmetic that made it, teaching lowers the
// loss for the drawing step by step and Undo takes a step back, at 1280 and
// 390 pixels wide with nothing wider than the page; a bad checkpoint is
// refused while the page keeps predicting, training in the worker lowers the
// loss while the main thread stays responsive and its weights download as a
// file the CLI loads, and the test-set browser lists mistakes. No console
// errors anywhere. Screenshots go to runs/browser-test/.

import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDemo, serveDemo, type DemoServer } from '../src/demo/server.ts';
import { decodeWeights } from '../src/program/recipe/weights.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'runs/browser-test';
// Without a browser the test is skipped, loudly, unless REQUIRE_BROWSER is set (.ci/run sets it).
const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER) {
  if (process.env.REQUIRE_BROWSER) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  console.warn(`demo.browser.test.ts SKIPPED: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

let server: DemoServer;
let browser: Browser;
let page: Page;
/** Errors of every page the test opens: thrown exceptions and console errors (a 404 for the favicon is one). */
const errors: string[] = [];
const watch = (p: Page): Page => {
  p.on('pageerror', (e) => errors.push(e.message));
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return p;
};

beforeAll(async () => {
  if (!HAVE_BROWSER) return;
  mkdirSync(SHOTS, { recursive: true });
  await buildDemo();
  server = await serveDemo(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = watch(await browser.newPage({ viewport: { width: 1280, height: 1400 } }));
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('model-name')?.textContent?.startsWith('shipped'), undefined, { timeout: 20_000 });
  expect(errors).toEqual([]);
}, 90_000);

afterAll(async () => {
  if (HAVE_BROWSER) expect(errors).toEqual([]);
  await browser?.close();
  await server?.close();
});

/** Draws strokes on the pad with real pointer events (mouse), in the pad's own 280x280 pixels whatever its size on screen. */
const draw = async (strokes: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, on = page): Promise<void> => {
  await on.locator('#pad').scrollIntoViewIfNeeded();
  const box = (await on.locator('#pad').boundingBox())!;
  const s = box.width / 280;
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0]!;
    await on.mouse.move(box.x + x0 * s, box.y + y0 * s);
    await on.mouse.down();
    for (const [x, y] of stroke.slice(1)) await on.mouse.move(box.x + x * s, box.y + y * s, { steps: 8 });
    await on.mouse.up();
  }
};

/** Elements sticking out past the right edge of the page (none may: no sideways scrolling on a phone). */
const overflowing = (on: Page): Promise<string[]> =>
  on.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > w + 0.5).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
    return document.documentElement.scrollWidth > w ? [`the page is ${document.documentElement.scrollWidth} px wide`, ...out] : out;
  });

const SEVEN = [[[70, 60], [210, 60], [130, 240]]] as const;

/** Whether a canvas has any pixel that is not white. */
const inked = (id: string): Promise<boolean> =>
  page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 250 || d[i + 1]! < 250 || d[i + 2]! < 250) return true;
    return false;
  }, id);

/** How many pixels of a canvas are clearly red or blue (a signed picture's non-zero values). */
const signedInk = (el: Element): number => {
  const c = el as HTMLCanvasElement;
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - d[i + 2]!) > 60) n++;
  return n;
};

const predicted = (): Promise<string | undefined> => page.locator('#prediction').evaluate((el) => (el as HTMLElement).dataset.digit);

describe.skipIf(!HAVE_BROWSER)('demo page', () => {
  it('reads a drawn 7 as 7 and draws the maps and the saliency', async () => {
    await draw(SEVEN);
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit !== '', undefined, { timeout: 10_000 });
    expect(await predicted()).toBe('7');
    for (const id of ['seen', 'filters', 'map-relu1', 'map-pool1', 'map-relu2', 'map-pool2', 'map-relu3', 'saliency']) {
      expect(await inked(id), id).toBe(true);
    }
    // The saliency is coloured (red or blue), not only the grey digit.
    const coloured = await page.evaluate(() => {
      const c = document.getElementById('saliency') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - d[i + 2]!) > 60) n++;
      return n;
    });
    expect(coloured).toBeGreaterThan(50);
    expect(await page.locator('#saliency-class').textContent()).toBe('7');
    await page.screenshot({ path: `${SHOTS}/seven.png` });
    await page.locator('#bars .bar[data-class="1"]').click();
    expect(await page.locator('#saliency-class').textContent()).toBe('1');
  }, 30_000);

  it('serves a favicon', async () => {
    expect(await page.evaluate(async () => (await fetch('/favicon.ico')).status)).toBe(200);
    expect(await page.evaluate(async () => (await fetch('/favicon.svg')).headers.get('content-type'))).toBe('image/svg+xml');
  });

  it('asks for a digit when the pad holds only a dot, and predicts nothing', async () => {
    await page.locator('#clear').click();
    await draw([[[140, 140], [141, 141]]]);
    await expect.poll(() => page.locator('#draw-note').textContent()).toMatch(/Draw a whole digit/);
    expect(await predicted()).toBe('');
    expect(await page.locator('#teach').isDisabled()).toBe(true);
    await page.locator('#clear').click();
    expect(await page.locator('#draw-note').textContent()).toMatch(/Draw a digit/);
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px: the backward pass for a label, the arithmetic of a conv2 value and of a conv1 weight gradient, three teaching steps and an undo, nothing wider than the page`, async () => {
      const p = watch(await browser.newPage({ viewport: { width, height: 900 } }));
      await p.goto(server.url);
      await p.waitForFunction(() => document.getElementById('model-name')?.textContent?.startsWith('shipped'), undefined, { timeout: 20_000 });
      await draw(SEVEN, p);
      await p.waitForFunction(() => document.getElementById('prediction')?.dataset.digit === '7', undefined, { timeout: 10_000 });
      // The label defaults to the prediction: the loss is small.
      expect(await p.locator('#labels button[aria-checked="true"]').textContent()).toBe('7');
      const shownLoss = async (): Promise<number> => Number(await p.locator('#loss-view').evaluate((el) => (el as HTMLElement).dataset.loss ?? 'NaN'));
      await expect.poll(shownLoss).toBeLessThan(0.1);
      await p.screenshot({ path: `${SHOTS}/page-${width}.png` });
      // Another label: a large loss, and dLoss/dOut drawn for every layer.
      await p.locator('#labels button[data-label="1"]').click();
      await expect.poll(shownLoss).toBeGreaterThan(1);
      const lossFor1 = await shownLoss();
      // Rows are painted as they come into view.
      for (const layer of ['conv1', 'pool1', 'conv2', 'relu3', 'dense1', 'dense2']) {
        const dout = p.locator(`#row-${layer} canvas[data-side="dout"]`);
        await dout.scrollIntoViewIfNeeded();
        await expect.poll(() => dout.evaluate(signedInk), { message: layer }).toBeGreaterThan(0);
      }
      // A value of conv2's output: its 3x3x16 patch times the filter, summed, is the value.
      const conv2 = p.locator('#row-conv2 canvas[data-side="out"]');
      await conv2.scrollIntoViewIfNeeded();
      const box = (await conv2.boundingBox())!;
      await conv2.click({ position: { x: box.width * 0.1, y: box.height * 0.2 } });
      const arith = p.locator('#row-conv2 .arith');
      await expect.poll(() => arith.textContent()).toMatch(/sum of 144 products = /);
      const text = (await arith.textContent())!;
      const value = Number(/output at \[[\d,]+\] = (-?[\d.]+(?:e[+-]?\d+)?)/.exec(text)![1]);
      const sum = Number(/sum of 144 products = (-?[\d.]+(?:e[+-]?\d+)?);/.exec(text)![1]);
      expect(Math.abs(sum - value)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(value)));
      await arith.screenshot({ path: `${SHOTS}/arithmetic-${width}.png` });
      // A value of conv1's dLoss/dw: the input under that weight times dLoss/dOut, over all 28x28 positions.
      const dw = p.locator('#row-conv1 canvas[data-side="dparam"]');
      await dw.scrollIntoViewIfNeeded();
      const wb = (await dw.boundingBox())!;
      await dw.click({ position: { x: wb.width * 0.05, y: wb.height * 0.2 } });
      const dwText = p.locator('#row-conv1 .arith');
      await expect.poll(() => dwText.textContent()).toMatch(/sum of 784 products = /);
      const g = /of conv1 = (-?[\d.]+(?:e[+-]?\d+)?);/.exec((await dwText.textContent())!)![1];
      expect((await dwText.textContent())!).toContain(`dLoss/dw = ${g}`);
      // Keyboard: the focused map moves its pick with the arrow keys.
      await conv2.focus();
      await p.keyboard.press('ArrowRight');
      await expect.poll(() => arith.textContent()).not.toBe(text);
      // Teach it "1" three times at a small learning rate: the loss for this drawing falls every step.
      await p.locator('#lr').selectOption('0.0003');
      const losses = [lossFor1];
      for (let k = 1; k <= 3; k++) {
        await p.locator('#teach').click();
        await expect.poll(() => p.locator('#teach-status').evaluate((el) => (el as HTMLElement).dataset.steps)).toBe(String(k));
        losses.push(Number(await p.locator('#teach-status').evaluate((el) => (el as HTMLElement).dataset.loss)));
      }
      for (let k = 1; k < losses.length; k++) expect(losses[k]!, `step ${k}`).toBeLessThan(losses[k - 1]!);
      expect(await p.locator('#model-name').textContent()).toMatch(/\+ 3 SGD steps on your drawing/);
      expect(await p.locator('#teach-result figure').count()).toBe(10);
      await p.locator('#teach-panel').screenshot({ path: `${SHOTS}/teach-${width}.png` });
      await p.locator('#undo').click();
      expect(await p.locator('#model-name').textContent()).toMatch(/\+ 2 SGD steps on your drawing/);
      await expect.poll(shownLoss).toBeCloseTo(losses[2]!, 4);
      await p.locator('#backward-panel').screenshot({ path: `${SHOTS}/backward-${width}.png` });
      expect(await overflowing(p)).toEqual([]);
      await p.close();
    }, 90_000);
  }

  it('refuses a bad checkpoint with a message and keeps predicting', async () => {
    await page.locator('#model-file').setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint at all') });
    await expect.poll(() => page.locator('#model-error').textContent()).toMatch(/^broken\.safetensors: /);
    expect(await page.locator('#model-name').textContent()).toMatch(/^shipped/);
    await page.locator('#clear').click();
    await draw(SEVEN);
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit !== '', undefined, { timeout: 10_000 });
    expect(await predicted()).toBe('7');
  }, 30_000);

  it('lists the test-set mistakes of the shipped model, most confident first', async () => {
    await page.locator('#scan').click();
    await expect.poll(() => page.locator('#mistakes .mistake').count(), { timeout: 60_000 }).toBeGreaterThan(5);
    expect(await page.locator('#scan-status').textContent()).toMatch(/test accuracy 9\d\.\d\d%/);
    await page.locator('#mistakes-panel').screenshot({ path: `${SHOTS}/mistakes.png` });
  }, 90_000);

  it('trains in the worker: the loss falls while the main thread keeps running timers', async () => {
    await page.evaluate(() => {
      (window as unknown as { ticks: number }).ticks = 0;
      setInterval(() => (window as unknown as { ticks: number }).ticks++, 50);
    });
    await page.locator('#train').click();
    const losses: number[] = [];
    const started = Date.now();
    await expect.poll(async () => {
      const l = await page.locator('#train-status').evaluate((el) => (el as HTMLElement).dataset.loss);
      if (l !== undefined && Number(l) !== losses.at(-1)) losses.push(Number(l));
      return losses.length;
    }, { timeout: 60_000, interval: 250 }).toBeGreaterThan(16);
    const seconds = (Date.now() - started) / 1000;
    const ticks = await page.evaluate(() => (window as unknown as { ticks: number }).ticks);
    // The server's COOP and COEP make the page cross-origin isolated, so the steps run on a gradient worker per core.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.locator('#train-status').evaluate((el) => (el as HTMLElement).dataset.threads)).toBe(String(Math.min(4, availableParallelism())));
    // Per layer, gradient and update sizes as curves (one point a second).
    for (const chart of ['grad-chart', 'ratio-chart']) {
      for (const layer of ['conv1', 'conv2', 'conv3', 'dense1', 'dense2']) {
        await expect.poll(() => page.locator(`#${chart} g.series[data-name="${layer}"] polyline`).count(), { message: `${chart} ${layer}`, timeout: 10_000 }).toBe(1);
      }
    }
    await page.locator('#stop').click();
    await expect.poll(() => page.locator('#resume').isEnabled()).toBe(true);
    await page.locator('#train-panel').screenshot({ path: `${SHOTS}/training.png` });
    // The weights trained so far download as a file the CLI's loader takes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    const saved = `${SHOTS}/trained.safetensors`;
    await download.saveAs(saved);
    expect(E.isRight(decodeWeights(new Uint8Array(readFileSync(saved))))).toBe(true);
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3, last = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(first).toBeGreaterThan(1);
    // Augmented batches (moved, turned, thinner digits) make the first seconds slower than plain ones.
    expect(last).toBeLessThan(first * 0.7);
    // A 50 ms timer over the whole wait: at least half its ticks arrived.
    expect(ticks).toBeGreaterThan((seconds * 1000) / 50 / 2);
  }, 120_000);
});
