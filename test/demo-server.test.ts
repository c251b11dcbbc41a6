/// <reference lib="dom" />
// The demo server under hostile or heavy use, with plain http requests: only
// requests naming the server are answered (DNS rebinding), a malformed
// percent-escape is a 400, every response says nosniff and the page's
// Content-Security-Policy (which the page satisfies in chromium), the data
// files are streamed or compressed once rather than read whole per request,
// a rebuild is swapped in whole under a running server, methods other than
// GET and HEAD get 405, a directory 404 (never an empty reply), and `npm run
// demo`'s --port is an integer 0-65535 in plain decimal.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { buildDemo, CONTENT_SECURITY_POLICY, DEMO_DIST, serveDemo, type DemoServer } from '../src/demo/server.ts';
import { defaultMnistDir } from '../src/platform/mnist.ts';

let server: DemoServer;
let port: number;

beforeAll(async () => {
  await buildDemo();
  server = await serveDemo(0);
  port = Number(new URL(server.url).port);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly length: number;
  /** The body, kept only when `keep` was asked for (data files are counted, not kept). */
  readonly body: Buffer;
}

/** One GET of a raw path (sent as written), with the Host header `host` unless given in `headers`. */
const get = (path: string, headers: Record<string, string> = {}, keep = true): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (c: Buffer) => {
        length += c.length;
        if (keep) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, length, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

const assets = (): string[] => [...readFileSync(join(DEMO_DIST, 'index.html'), 'utf8').matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => `/${m[1]}`);

describe('demo server', () => {
  it('answers only requests naming it: 127.0.0.1, localhost or [::1] with its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await get('/', { host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      const r = await get('/', { host });
      expect(r.status, host).toBe(403);
      expect(r.body.toString()).toBe('forbidden: unknown Host');
    }
    expect((await get('/mnist/t10k-labels-idx1-ubyte', { host: 'evil.example' })).status).toBe(403);
  });

  it('answers a malformed percent-escape with 400', async () => {
    for (const path of ['/%E0%A4%A', '/%', '/mnist/%zz', '/assets/%C0%AF']) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.toString()).toBe('bad request: malformed URL');
    }
    expect((await get('/%69ndex.html')).status).toBe(200);
  });

  it('sends nosniff, COOP and COEP on every response and the Content-Security-Policy with the page', async () => {
    const page = await get('/');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; script-src 'self' 'wasm-unsafe-eval';/);
    for (const path of ['/', '/index.html', ...assets(), '/model.safetensors', '/mnist/t10k-labels-idx1-ubyte', '/nothing', '/mnist/nothing', '/%']) {
      const r = await get(path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      // Cross-origin isolation, for the page's shared memory with its gradient workers.
      expect([r.headers['cross-origin-opener-policy'], r.headers['cross-origin-embedder-policy']], path).toEqual(['same-origin', 'require-corp']);
    }
    expect((await get('/', { host: 'evil.example' })).headers['x-content-type-options']).toBe('nosniff');
  });

  it('streams a data file, or compresses it once, for 50 concurrent requests without holding 50 copies', async () => {
    const file = join(defaultMnistDir(), 'train-images-idx3-ubyte');
    const size = readFileSync(file).length;
    // 50 requests at once, with the peak RSS of this process (server and client) sampled meanwhile.
    const fetchAll = async (headers: Record<string, string>) => {
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
      const replies = await Promise.all(Array.from({ length: 50 }, () => get('/mnist/train-images-idx3-ubyte', headers, false)));
      clearInterval(sampler);
      return { replies, peak: Math.max(peak, process.memoryUsage().rss) };
    };
    const MiB = 2 ** 20;
    const before = process.memoryUsage().rss;
    const plain = await fetchAll({});
    const zipped = await fetchAll({ 'accept-encoding': 'gzip' });
    console.log(`RSS for 50 concurrent data requests: ${(before / MiB).toFixed(0)} MiB before, peak ${(plain.peak / MiB).toFixed(0)} MiB plain, ${(zipped.peak / MiB).toFixed(0)} MiB gzip`);
    // Read whole per request, 50 requests held 50 copies of the 47 MB file (2.2 GB).
    expect(plain.peak - before).toBeLessThan(400 * MiB);
    expect(zipped.peak - before).toBeLessThan(400 * MiB);
    expect(plain.replies.map((r) => [r.status, r.length, r.headers['content-length']])).toEqual(Array(50).fill([200, size, String(size)]));
    expect(new Set(zipped.replies.map((r) => `${r.status} ${r.headers['content-encoding']} ${r.length}`)).size).toBe(1);
    expect(gunzipSync((await get('/mnist/train-images-idx3-ubyte', { 'accept-encoding': 'gzip' })).body).equals(readFileSync(file))).toBe(true);
  }, 60_000);

  it('swaps a rebuild in whole: a server running meanwhile never misses a file', async () => {
    let building = true;
    const misses: string[] = [];
    const poll = (async () => {
      let rounds = 0;
      while (building || rounds === 0) {
        for (const path of ['/', ...assets()]) {
          const r = await get(path, {}, false);
          if (r.status !== 200) misses.push(`${path}: ${r.status}`);
        }
        rounds++;
      }
      return rounds;
    })();
    await buildDemo();
    await buildDemo();
    building = false;
    expect(await poll).toBeGreaterThan(0);
    expect(misses).toEqual([]);
    // dist/demo is a link to the build in use; this process's earlier builds are gone.
    const linked = readlinkSync(DEMO_DIST);
    expect(readdirSync(dirname(DEMO_DIST)).filter((n) => n.startsWith(`demo-build-${process.pid}-`))).toEqual([linked]);
  }, 60_000);
});

/** `npm run demo` with these arguments (scripts/demo.ts under tsx): its exit code and stderr; one still running after 20 s (serving) is stopped. */
const demo = (args: readonly string[]): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill(), 20_000);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });

/** One request of any method, raw over a socket, so nothing in Node's client shapes it; the whole reply as text ('' if none). */
const raw = (method: string, path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
    });
    socket.on('end', () => resolve(reply));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });

describe('demo server: methods and directories', () => {
  it('answers every method but GET and HEAD with 405 and Allow: GET, HEAD; CONNECT too; never an empty reply', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const r = await raw(method, '/');
      expect(r, method).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      expect(r.toLowerCase(), method).toContain('\r\nallow: get, head\r\n');
      expect(r, method).not.toContain('<html');
    }
    const connectReply = await raw('CONNECT', `127.0.0.1:${port}`);
    expect(connectReply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(connectReply.toLowerCase()).toContain('\r\nallow: get, head\r\n');
    expect(await raw('HEAD', '/')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect((await get('/')).status).toBe(200);
  });

  it('answers a directory with 404, with or without its slash', async () => {
    for (const path of ['/assets', '/assets/', '/assets/.']) {
      const r = await raw('GET', path);
      expect(r, path).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(r, path).toMatch(/\r\n\r\nnot found$/);
    }
  });
});

describe('npm run demo --port', () => {
  it('takes an integer 0-65535 in plain decimal digits, given once; anything else is one line and exit 2', async () => {
    const cases: ReadonlyArray<readonly [readonly string[], string]> = [
      [['--port', ''], '--port "": must be an integer 0-65535'],
      [['--port', '0x50'], '--port "0x50": must be an integer 0-65535, written in plain decimal digits'],
      [['--port', ' 80'], '--port " 80": must be an integer 0-65535, written in plain decimal digits'],
      [['--port', '1e3'], '--port "1e3": must be an integer 0-65535, written in plain decimal digits'],
      [['--port', '-1'], '--port "-1": must be an integer 0-65535'],
      [['--port', '65536'], '--port "65536": must be an integer 0-65535'],
      [['--port', '8080', '--port=8081'], '--port is given more than once'],
      [['8080'], 'unexpected argument "8080" (usage: npm run demo [-- --port N])'],
    ];
    const results = await Promise.all(cases.map(([args]) => demo(args)));
    results.forEach((r, i) => expect(r, cases[i]![0].join(' ')).toEqual({ code: 2, stderr: `error: ${cases[i]![1]}\n` }));
  }, 60_000);
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('the page under its Content-Security-Policy', () => {
  it('loads the model, finds the mistakes in its worker and downloads weights with no violation', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      const reports: string[] = [];
      page.on('console', (m) => {
        if (/Content.Security.Policy|CSP/i.test(m.text())) reports.push(m.text());
      });
      page.on('pageerror', (e) => reports.push(e.message));
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
      );
      await page.goto(server.url);
      // The model is fetched and run on WebAssembly; the mistakes come from the worker (WebAssembly, the data
      // files) and are drawn with style attributes; the download is a blob: URL.
      await page.waitForFunction(() => document.getElementById('model-name')?.textContent?.startsWith('shipped'), undefined, { timeout: 20_000 });
      await page.locator('#scan').click();
      await page.waitForFunction(() => document.querySelectorAll('#mistakes .mistake').length > 5, undefined, { timeout: 60_000 });
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
      expect(download.suggestedFilename()).toBe('mnist-cnn-weights.safetensors');
      expect(reports).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
