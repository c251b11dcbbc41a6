// The training program as a user runs it: a child process per command, on
// real MNIST with small limits so each run takes seconds.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import { leaves } from '../src/graph/index.ts';
import { tempDir } from './temp-dir.ts';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/train.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = (): string => tempDir('run-');
const small = ['--train-limit', '256', '--test-limit', '200', '--batch-size', '32', '--kernels', 'wasm'];
const paramsOf = (dir: string): Float32Array[] => {
  const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))));
  if (E.isLeft(c)) throw new Error(c.left);
  return leaves(c.right.state.params).map(([, t]) => Float32Array.from(t.data));
};

// One finished run of two epochs that several tests read (its files, its checkpoint, its parameters),
// trained once, when first asked for; its folder lives as long as this file.
const sharedRoot = tmp();
let finished: { readonly dir: string; readonly stdout: string } | null = null;
const finishedRun = (): { readonly dir: string; readonly stdout: string } => {
  if (finished === null) {
    const dir = join(sharedRoot, 'run');
    const r = cli(['--out', dir, '--epochs', '2', ...small]);
    expect(r.code, r.stderr).toBe(0);
    finished = { dir, stdout: r.stdout };
  }
  return finished;
};

describe('train CLI: bad input', () => {
  it('a bad flag: one line, exit 2', () => {
    for (const args of [['--batch-size', '0'], ['--bogus'], ['--lr', 'abc'], ['--epochs', '-1']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    }
  });

  it('a bad data dir: one line naming it, exit 2', () => {
    const d = tmp();
    const r = cli(['--data-dir', join(d, 'nothing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing: no such directory/);
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) writeFileSync(join(d, f), 'garbage');
    const r2 = cli(['--data-dir', d]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/train-images-idx3-ubyte: wrong magic number/);
  });

  it('refuses to write into a directory that already holds files', () => {
    const d = tmp();
    writeFileSync(join(d, 'precious.txt'), 'keep me');
    const r = cli(['--out', d, ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds files/);
    expect(readFileSync(join(d, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('--out naming a file, or a path through one: one line, exit 2', () => {
    const f = join(tmp(), 'a-file');
    writeFileSync(f, 'keep me');
    for (const out of [f, join(f, 'run')]) {
      const r = cli(['--out', out, ...small]);
      expect(r.code, out).toBe(2);
      expect(r.stderr.trim().split('\n'), out).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: .*a-file/);
    }
    expect(readFileSync(f, 'utf8')).toBe('keep me');
  });
});

describe('train CLI: runs', () => {
  it('a diverging run stops with one line, keeping the last good checkpoint', () => {
    const d = join(tmp(), 'r');
    const r = cli(['--out', d, '--epochs', '1', '--optimizer', 'adam', '--lr', '1e20', ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^error: training diverged: loss is NaN at epoch 0 step \\d+; last good checkpoint kept at ${join(d, 'checkpoint.safetensors')}$`));
    const c = decodeCheckpoint(new Uint8Array(readFileSync(join(d, 'checkpoint.safetensors'))));
    expect(E.isRight(c) && c.right.state).toMatchObject({ epoch: 0, step: 0 });
  });

  it('resuming keeps the run\'s kernels, threads and epochs, and claims another --out like a new run', () => {
    const a = join(tmp(), 'r');
    const js = ['--train-limit', '32', '--test-limit', '10', '--batch-size', '32', '--kernels', 'js', '--threads', '1'];
    expect(cli(['--out', a, '--epochs', '2', '--stop-after', '1', ...js]).code).toBe(0);
    const ck = join(a, 'checkpoint.safetensors');
    const before = readFileSync(ck);
    const epochs = cli(['--resume', ck, '--epochs', '3']);
    expect(epochs.code).toBe(2);
    expect(epochs.stderr).toMatch(/^error: --epochs cannot change when resuming/);
    const busy = tmp();
    writeFileSync(join(busy, 'precious.txt'), 'keep me');
    const r = cli(['--resume', ck, '--out', busy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds files/);
    expect(readdirSync(busy)).toEqual(['precious.txt']);
    const b = join(tmp(), 'elsewhere');
    const moved = cli(['--resume', ck, '--out', b, '--epochs', '2']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/kernels js, one thread/);
    expect(moved.stdout).toContain('resuming at epoch 1, step 0');
    expect(readFileSync(ck)).toEqual(before);
    expect(JSON.parse(readFileSync(join(b, 'metrics.json'), 'utf8'))).toHaveLength(2);
  }, 300_000);

  it('trains, writes the run files, evaluates and predicts', () => {
    const { dir: d, stdout } = finishedRun();
    expect(stdout).toContain('359,846');
    expect(stdout).toMatch(/epoch 0 +lr [\d.e+-]+ +train loss [\d.]+ +train acc [\d.]+% +test loss [\d.]+ +test acc [\d.]+%/);
    expect(stdout).toMatch(/final test accuracy/);
    for (const f of ['checkpoint.safetensors', 'metrics.json', 'metrics.csv', 'accuracy.svg', 'loss.svg', 'predictions.png', 'confusion.png', 'confusion.svg']) {
      expect(existsSync(join(d, f)), f).toBe(true);
    }
    expect(readdirSync(d).some((f) => f.endsWith('.tmp'))).toBe(false);
    const ev = cli(['evaluate', join(d, 'checkpoint.safetensors'), '--test-limit', '200']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/test accuracy [\d.]+%/);
    const pr = cli(['predict', join(d, 'checkpoint.safetensors'), join(d, 'predictions.png'), '--save-input', join(d, 'seen')]);
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toMatch(/predictions\.png: \d \([\d.]+%\), \d \([\d.]+%\), \d \([\d.]+%\)/);
    expect(existsSync(join(d, 'seen', 'predictions-28x28.png'))).toBe(true);
    const blocked = cli(['predict', join(d, 'checkpoint.safetensors'), join(d, 'predictions.png'), '--save-input', join(d, 'metrics.csv', 'seen')]);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr.trim()).toMatch(/^error: cannot create directory .*metrics\.csv.*: a file is in the way$/);
    // export: the weights alone, which evaluate, predict and explain take as well; never over an existing file.
    const w = join(d, 'weights.safetensors');
    const ex = cli(['export', join(d, 'checkpoint.safetensors'), '--out', w]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(readFileSync(w).length).toBeLessThan(1_450_000);
    expect(cli(['evaluate', w, '--test-limit', '200']).stdout).toBe(ev.stdout.replace(join(d, 'checkpoint.safetensors'), w));
    const again = cli(['export', join(d, 'checkpoint.safetensors'), '--out', w]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^error: cannot write .*weights\.safetensors: already exists$/);
    const xp = cli(['explain', w, join(d, 'predictions.png'), '--out', join(d, 'explain')]);
    expect(xp.code, xp.stderr).toBe(0);
    expect(readdirSync(join(d, 'explain')).sort()).toEqual(
      ['filters.png', 'input.png', 'pool1.png', 'pool2.png', 'relu1.png', 'relu2.png', 'relu3.png', ...Array.from({ length: 10 }, (_, c) => `saliency-${c}.png`)].sort());
    expect(cli(['explain', w, '--out', join(d, 'x')]).code).toBe(2);
    // A finished run has nothing to resume: one line, exit 2, nothing written elsewhere.
    const done = cli(['--resume', join(d, 'checkpoint.safetensors'), '--out', join(d, 'more')]);
    expect(done.code).toBe(2);
    expect(done.stderr.trim()).toMatch(/^error: .*checkpoint\.safetensors: this run already finished its 2 epochs; nothing to resume/);
    expect(existsSync(join(d, 'more'))).toBe(false);
  }, 300_000);

  it('the same seed twice gives identical parameters; stop after epoch 1 and resume equals an uninterrupted run', () => {
    const a = finishedRun().dir;
    const [b, c] = [tmp(), tmp()].map((x) => join(x, 'r'));
    expect(cli(['--out', b!, '--epochs', '2', ...small]).code).toBe(0);
    expect(paramsOf(b!)).toEqual(paramsOf(a));
    const first = cli(['--out', c!, '--epochs', '2', '--stop-after', '1', ...small]);
    expect(first.stdout).toContain('stopped after epoch 0');
    const resumed = cli(['--resume', join(c!, 'checkpoint.safetensors')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming at epoch 1, step 0');
    expect(paramsOf(c!)).toEqual(paramsOf(a));
    const metrics = JSON.parse(readFileSync(join(c!, 'metrics.json'), 'utf8')) as unknown[];
    expect(metrics).toHaveLength(2);
  }, 300_000);

  it('Ctrl-C saves a checkpoint mid-epoch, and resuming from it ends where an uninterrupted run does', async () => {
    const [full, cut] = [tmp(), tmp()].map((x) => join(x, 'r'));
    const args = ['--train-limit', '1200', '--test-limit', '100', '--batch-size', '16', '--epochs', '1', '--kernels', 'wasm'];
    expect(cli(['--out', full!, ...args]).code).toBe(0);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/train.ts', '--out', cut!, ...args]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('run directory')) setTimeout(() => child.kill('SIGINT'), 500);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(out).toMatch(/interrupted at epoch 0, step \d+: checkpoint saved/);
    const resumed = cli(['--resume', join(cut!, 'checkpoint.safetensors')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(paramsOf(cut!)).toEqual(paramsOf(full!));
  }, 300_000);

  it('a bad checkpoint is a clear error, exit 2', () => {
    const d = tmp();
    const good = readFileSync(join(finishedRun().dir, 'checkpoint.safetensors'));
    const bad = join(d, 'bad.safetensors');
    writeFileSync(bad, good.subarray(0, good.length - 100));
    const r = cli(['evaluate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.safetensors: /);
    const missing = cli(['evaluate', join(d, 'absent.safetensors')]);
    expect(missing.code).toBe(2);
  }, 300_000);
});
