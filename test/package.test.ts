/// <reference lib="dom" />
// The library as an installed package, outside this repo: `npm pack` (its
// prepack builds dist/) gives a tarball of the library alone; installed into
// a fresh project in the OS's temp folder it brings no dependency; there a
// plain-node consumer (test/consumer/consumer.mjs: its own network with a
// hand-written layer, Adam on the WASM kernels, the gradient checker, worker
// threads) runs under Node 20 and Node 24, the same program in TypeScript
// typechecks against the published declarations under moduleResolution
// node16 and bundler, and a browser consumer bundled by esbuild trains in
// chromium. Everything imports the package by name, as a user would.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node24 } from './node24.ts';
import { tempDir } from './temp-dir.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'consumer');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without a browser the browser case is skipped, loudly, unless REQUIRE_BROWSER is set (.ci/run sets it).
const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER) {
  if (process.env.REQUIRE_BROWSER) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  console.warn(`package.test.ts: browser consumer SKIPPED: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

// Child npm processes must not inherit the npm_* variables of an `npm test`
// around this run (npm_config_local_prefix and the like name this repo).
const ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; throws with its output unless it exits 0. */
const run = (cmd: string, args: readonly string[], cwd: string): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ code, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}\n${stdout}\n${stderr}`));
    });
  });

let tmp = '';
let app = '';
let tarball = '';
let packed: string[] = [];

beforeAll(async () => {
  tmp = tempDir('mnist-cnn-ts-package-');
  await run('npm', ['pack', '--pack-destination', tmp], ROOT);
  const tgz = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = join(tmp, tgz[0]!);
  packed = (await run('tar', ['-tzf', tarball], tmp)).stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^package\//, ''));

  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  await run('npm', ['i', tarball, '--no-audit', '--no-fund'], app);
  for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(app, f));
}, 180_000);

describe('the tarball', () => {
  it('holds the built library, its declarations, package.json, README.md and LICENSE, nothing else', () => {
    const size = statSync(tarball).size;
    console.log(`package.test.ts: ${relative(tmp, tarball)} ${(size / 1024).toFixed(1)} KiB packed, ${packed.length} files`);
    for (const f of packed) expect(f).toMatch(/^(dist\/lib\/[^/]+|dist\/types\/.+\.d\.ts|package\.json|README\.md|LICENSE)$/);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/lib/index.js', 'dist/lib/node.js', 'dist/lib/grad-worker.js', 'dist/lib/kernel-worker.js', 'dist/types/index.d.ts', 'dist/types/node.d.ts']) {
      expect(packed).toContain(f);
    }
    for (const dir of ['src/', 'test/', 'models/', 'bench/', 'scripts/', 'docs/', 'dist/demo/']) expect(packed.filter((f) => f.startsWith(dir))).toEqual([]);
  });

  it('installs alone: the package has no dependencies', () => {
    expect(readdirSync(join(app, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['mnist-cnn-ts']);
  });
});

/** What consumer.mjs prints: one JSON line. */
interface ConsumerResult {
  readonly node: string;
  readonly losses: readonly number[];
  readonly opCheck: boolean;
  readonly wrongCheck: boolean;
  readonly wrongMessage: string;
  readonly netCheck: boolean;
  readonly netMessage: string;
  readonly singleLoss: number;
  readonly parallelLosses: readonly number[];
  readonly compiledMatches: boolean;
  readonly helperMatches: boolean;
}

const runConsumer = async (node: string): Promise<ConsumerResult> => {
  const { stdout } = await run(node, ['consumer.mjs'], app);
  const line = stdout.trim().split('\n').at(-1)!;
  console.log(`package.test.ts: consumer.mjs under ${node}:\n${line}`);
  const r = JSON.parse(line) as ConsumerResult;
  // Adam on the WASM kernels: the loss falls, by more than half in 10 steps.
  expect(r.losses).toHaveLength(10);
  for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
  expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]! * 0.5);
  // The gradient checker passes the right op and the whole network, and catches the wrong backward.
  expect(r.opCheck).toBe(true);
  expect(r.wrongCheck).toBe(false);
  expect(r.wrongMessage).toMatch(/^\d+ of \d+ gradient entries differ; first: w\[/);
  expect(r.netCheck, r.netMessage).toBe(true);
  // Two workers give the loss of one thread on the same parameters, and training on them goes on lowering it.
  expect(r.parallelLosses).toHaveLength(5);
  expect(Math.abs(r.parallelLosses[0]! - r.singleLoss)).toBeLessThanOrEqual(1e-5 * r.singleLoss + 1e-7);
  expect(r.parallelLosses.at(-1)!).toBeLessThan(r.parallelLosses[0]!);
  // compile(net) from the installed package gives the eager loss and gradients bit for bit, its user layer included.
  expect(r.compiledMatches).toBe(true);
  // With a kernel helper started from the package's kernel-worker.js: one thread's numbers bit for bit.
  expect(r.helperMatches).toBe(true);
  return r;
};

describe('a plain node consumer (consumer.mjs)', () => {
  it(`runs under this machine's Node (${process.version})`, async () => {
    const r = await runConsumer(process.execPath);
    expect(r.node).toBe(process.version);
  }, 60_000);

  it('runs under Node 24', async (ctx) => {
    const got = node24();
    if ('why' in got) {
      if (process.env.REQUIRE_NODE24) throw new Error(`REQUIRE_NODE24 is set and Node 24 cannot be had: ${got.why}`);
      console.warn(`package.test.ts: Node 24 case SKIPPED (set REQUIRE_NODE24 to make this fail): ${got.why}`);
      return ctx.skip();
    }
    const r = await runConsumer(got.bin);
    expect(r.node).toMatch(/^v24\./);
  }, 120_000);
});

describe('a TypeScript consumer (consumer.ts, net.ts)', () => {
  const strict = {
    target: 'ES2022',
    lib: ['ES2022'],
    // Node's types from this repo: the consumer uses process and 'mnist-cnn-ts/node'.
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  };
  const configs = {
    node16: { module: 'node16', moduleResolution: 'node16' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  };

  it('typechecks against the published declarations under moduleResolution node16 and bundler', async () => {
    const results = await Promise.all(
      Object.entries(configs).map(async ([name, resolution]) => {
        const file = `tsconfig.${name}.json`;
        writeFileSync(join(app, file), JSON.stringify({ compilerOptions: { ...strict, ...resolution }, files: ['consumer.ts'] }, null, 2));
        // Both the output and the exit code: tsc prints its errors on stdout.
        const r = await run(process.execPath, [TSC, '-p', file, '--listFiles'], app).catch((e: Error) => ({ code: 1, stdout: e.message, stderr: '' }));
        return { name, ...r };
      }),
    );
    for (const r of results) {
      expect(r.stdout.split('\n').filter((l) => /error TS\d+/.test(l)), `${r.name}:\n${r.stdout}`).toEqual([]);
      expect(r.code, r.name).toBe(0);
      // The declarations came from the installed package, not from this repo.
      expect(r.stdout).toContain(join(app, 'node_modules', 'mnist-cnn-ts', 'dist', 'types', 'index.d.ts'));
      expect(r.stdout).toContain(join(app, 'node_modules', 'mnist-cnn-ts', 'dist', 'types', 'node.d.ts'));
      expect(r.stdout).not.toContain(join(ROOT, 'src'));
    }
  }, 60_000);
});

describe.skipIf(!HAVE_BROWSER)('a browser consumer (browser.mjs, bundled by esbuild)', () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

  it('trains its network in chromium on the WASM kernels', async () => {
    const bundle = await build({
      entryPoints: ['browser.mjs'],
      absWorkingDir: app,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Only the page's two files and the installed package's dist/lib went in: nothing of Node, nothing of this repo.
    for (const input of Object.keys(bundle.metafile.inputs)) expect(input).toMatch(/^(browser\.mjs|net\.mjs|node_modules\/mnist-cnn-ts\/dist\/lib\/[^/]+\.js)$/);
    const js = bundle.outputFiles[0]!.text;
    console.log(`package.test.ts: browser bundle ${(js.length / 1024).toFixed(1)} KiB from ${Object.keys(bundle.metafile.inputs).length} files`);

    server = createServer((req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>consumer</title><script type="module" src="/app.js"></script>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.body.dataset.result !== undefined || document.body.dataset.error !== undefined, undefined, { timeout: 30_000 });
      const { result, error } = await page.evaluate(() => ({ result: document.body.dataset.result, error: document.body.dataset.error }));
      expect(error).toBeUndefined();
      expect(errors).toEqual([]);
      console.log(`package.test.ts: browser.mjs in chromium:\n${result}`);
      const r = JSON.parse(result!) as { kernels: string; losses: number[] };
      // Chromium has relaxed SIMD, so the kernel set fuses multiply-adds.
      expect(r.kernels).toMatch(/^wasm(-fma)?$/);
      expect(r.losses).toHaveLength(10);
      expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]! * 0.5);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
