// A network of the user's own, in its own module (docs/cli.md's), through
// the CLI's --network: trained, interrupted with Ctrl-C after a checkpoint and resumed
// to the same parameters, bit for bit, as a run never interrupted;
// evaluated, asked to predict and explain; the seed network's checkpoint
// refused for it, and its checkpoint refused for the seed network, each in
// one line. A module that is not a network is refused in one line too.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { MNIST_SHAPE } from '../src/graph/index.ts';
import { decodeSafetensors } from '../src/formats/safetensors.ts';
import { presets, type TrainConfig } from '../src/program/recipe/config.ts';
import { encodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import { networkFor, optimizerFor } from '../src/program/recipe/recipe.ts';
import { initialState } from '../src/training/loop.ts';
import { cli, NO_TRACE, NODE_TSX, runUntil } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'user-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const library = pathToFileURL(resolve('src/index.ts')).href;
const netFile = join(dir, 'my-net.mjs');
// The network of docs/cli.md's --network section, as written there.
const cliDoc = readFileSync('docs/cli.md', 'utf8');
const quoted = /```js\n(\/\/ my-net\.mjs[\s\S]*?)```/.exec(cliDoc.slice(cliDoc.indexOf('## A network of your own')))?.[1];
if (quoted === undefined) throw new Error("docs/cli.md has no my-net.mjs block under '## A network of your own'");
writeFileSync(netFile, quoted.replace("from 'mnist-cnn-ts'", `from ${JSON.stringify(library)}`));

// Three epochs of 32 steps (a few seconds), so that a Ctrl-C after the first lands mid-run.
const run = ['--network', netFile, '--epochs', '3', '--train-limit', '2048', '--test-limit', '200', '--threads', '1', '--seed', '5'];

/** The tensors of a checkpoint (parameters and optimizer state) as bytes, by name. */
const tensorBits = (file: string): Record<string, number[]> => {
  const f = decodeSafetensors(new Uint8Array(readFileSync(file)));
  if (E.isLeft(f)) throw new Error(f.left);
  return Object.fromEntries([...f.right.tensors].map(([n, x]) => [n, [...new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)]]));
};

/** The one line a refusal prints, with exit 2 and no stack trace. */
const refused = (r: ReturnType<typeof cli>): string => {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(NO_TRACE);
  return r.stderr.split('\n')[0]!;
};

describe('a network of your own through the CLI (--network)', () => {
  const whole = join(dir, 'whole');
  const cut = join(dir, 'cut');

  it('trains it, showing its table; interrupted and resumed, it ends bit for bit where an uninterrupted run does', async () => {
    const a = cli([...run, '--out', whole]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^conv +conv 3x3\/1 pad 0 +26x26x8 +72 /m);
    expect(a.stdout).toMatch(/^out +dense \+ bias +10 +13,530 /m);
    expect(a.stdout).toContain(`network ${netFile}, preset default`);
    expect(a.stdout).toMatch(/final test accuracy/);

    // Ctrl-C (to the whole process group, as a terminal sends it) once the first epoch is saved.
    let sent = false;
    const b = await runUntil([...NODE_TSX, ...run, '--out', cut], (pid, out) => {
      if (!sent && /^epoch 0 /m.test(out)) {
        sent = true;
        setTimeout(() => process.kill(-pid, 'SIGINT'), 100);
      }
      return sent;
    });
    expect(b.status, b.out).toBe(130);
    expect(b.out).toMatch(/interrupted at epoch [12], step \d+: checkpoint saved/);
    expect(b.out).toContain(`--network ${netFile}`);
    const ck = join(cut, 'checkpoint.safetensors');
    const resumed = cli(['--resume', ck, '--network', netFile]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^resuming at epoch [12], step \d+$/m);
    expect(resumed.stdout).toMatch(/^conv +conv 3x3\/1 pad 0/m);
    expect(tensorBits(ck)).toEqual(tensorBits(join(whole, 'checkpoint.safetensors')));
  }, 240_000);

  it('evaluates, predicts and explains with it', () => {
    const ck = join(whole, 'checkpoint.safetensors');
    const e = cli(['evaluate', ck, '--network', netFile, '--test-limit', '200']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/test accuracy [\d.]+%, loss [\d.]+ on 200 images/);
    const p = cli(['predict', ck, 'test/fixtures/drawn/7-off-centre.png', '--network', netFile]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^test\/fixtures\/drawn\/7-off-centre.png: \d \([\d.]+%\), \d \([\d.]+%\), \d \([\d.]+%\)$/m);
    const x = cli(['explain', ck, 'test/fixtures/drawn/7-off-centre.png', '--out', join(dir, 'explained'), '--network', netFile]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toMatch(/wrote 14 pictures to .*: input.png, filters.png, relu.png, pool.png, saliency-0.png/);
  }, 120_000);

  it("refuses the seed network's checkpoint for it, and its checkpoint for the seed network", () => {
    // A seed network's checkpoint, as a run of the default recipe starts one.
    const config: TrainConfig = { ...presets.default, seed: 0, trainLimit: null, testLimit: null, threads: 1, kernels: 'wasm' };
    const seedDir = join(dir, 'seed');
    mkdirSync(seedDir);
    const seedCk = join(seedDir, 'checkpoint.safetensors');
    const bytes = encodeCheckpoint({ config, state: initialState(networkFor(config).init(key(0), MNIST_SHAPE), optimizerFor(config)) });
    if (E.isLeft(bytes)) throw new Error(bytes.left);
    writeFileSync(seedCk, bytes.right);

    const theirs = `the file holds another network's parameters: layer 1: the file's is conv1 (conv 3x3/1 pad 1), the network's conv (conv 3x3/1 pad 0) (not a file of --network ${netFile})`;
    expect(refused(cli(['--resume', seedCk, '--network', netFile]))).toBe(`error: ${seedCk}: ${theirs}`);
    expect(refused(cli(['evaluate', seedCk, '--network', netFile]))).toBe(`error: ${seedCk}: ${theirs}`);
    const mine = join(whole, 'checkpoint.safetensors');
    const ours = "the file holds another network's parameters: layer 1: the file's is conv (conv 3x3/1 pad 0), the network's conv1 (conv 3x3/1 pad 1) (a run of a network of your own? give its --network again)";
    expect(refused(cli(['--resume', mine]))).toBe(`error: ${mine}: ${ours}`);
    expect(refused(cli(['predict', mine, 'test/fixtures/drawn/7-off-centre.png']))).toBe(`error: ${mine}: ${ours}`);
  }, 120_000);

  it('refuses a module that is not a network it can train, in one line', () => {
    const module = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const missing = join(dir, 'nowhere.mjs');
    expect(refused(cli(['--network', missing]))).toBe(`error: --network ${missing}: no such file`);
    const named = module('named.mjs', `export const net = 1;\n`);
    expect(refused(cli(['--network', named]))).toMatch(/^error: --network .*named.mjs: the module has no default export/);
    const notLayer = module('not-layer.mjs', `export default { units: 10 };\n`);
    expect(refused(cli(['--network', notLayer]))).toMatch(/^error: --network .*not-layer.mjs: export "default" is not a layer/);
    const broken = module('broken.mjs', `export default serial({;\n`);
    expect(refused(cli(['--network', broken]))).toMatch(/^error: --network .*broken.mjs: cannot import it as an ES module: /);
    const wide = module('wide.mjs', `import { layers, serial } from ${JSON.stringify(library)};\nexport default serial({ flat: layers.flatten(), out: layers.dense({ units: 3 }) });\n`);
    expect(refused(cli(['--network', wide]))).toMatch(/^error: --network .*wide.mjs: the network gives \[3\] for an image; the CLI needs \[10\]/);
  }, 120_000);
});
