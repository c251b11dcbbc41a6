/// <reference lib="dom" />
// The demo page in a real browser (Debian's chromium driven by playwright-core):
// a drawn 7 is read as 7 with the shipped model, the maps and the saliency are
// drawn, a bad checkpoint is refused while the page keeps predicting, training
// in the worker lowers the loss while the main thread stays responsive and its
// weights download as a file the CLI loads, and the test-set browser lists
// mistakes. Screenshots go to runs/browser-test/.

import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDemo, serveDemo, type DemoServer } from '../src/platform/demo-server.ts';
import { decodeWeights } from '../src/training/weights.ts';

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

beforeAll(async () => {
  if (!HAVE_BROWSER) return;
  mkdirSync(SHOTS, { recursive: true });
  await buildDemo();
  server = await serveDemo(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: { width: 1150, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('model-name')?.textContent?.startsWith('shipped'), undefined, { timeout: 20_000 });
  expect(errors).toEqual([]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Draws strokes on the pad with real pointer events (mouse). */
const draw = async (strokes: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Promise<void> => {
  const box = (await page.locator('#pad').boundingBox())!;
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0]!;
    await page.mouse.move(box.x + x0, box.y + y0);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
  }
};

const SEVEN = [[[70, 60], [210, 60], [130, 240]]] as const;

/** Whether a canvas has any pixel that is not white. */
const inked = (id: string): Promise<boolean> =>
  page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 250 || d[i + 1]! < 250 || d[i + 2]! < 250) return true;
    return false;
  }, id);

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
