// The edges of the command line a user meets first: each command's own
// --help (which wins over any other error), predict answering the pictures it
// can read and naming the others, arguments given in the wrong order, the
// kernel set a run names, and the note for a seed-preset run too short to learn.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { MNIST_SHAPE, seedNetwork } from '../src/graph/index.ts';
import { kernelsByName } from '../src/ops/kernels/by-name.ts';
import { digitRaster } from '../src/pictures/maps.ts';
import { encodePng } from '../src/platform/png.ts';
import { commandUsage, helpPointer, options, parseCommand, usage, type CommandName } from '../src/program/flags.ts';
import { readModelFile } from '../src/program/model-file.ts';
import { presets } from '../src/program/recipe/config.ts';
import { encodeWeights } from '../src/program/recipe/weights.ts';
import { SEED_PRESET_MIN_STEPS, shortRunNote } from '../src/program/recipe/short-run.ts';
import { cli, NODE_TSX, tempDir } from './cli-run.ts';
import { spawnSync } from 'node:child_process';

const COMMANDS: readonly CommandName[] = ['train', 'evaluate', 'predict', 'explain', 'export'];
const parse = (...argv: string[]) => parseCommand(argv, 2);

/** The flags a command's help lists, without --help. */
const listed = (command: CommandName): string[] =>
  [...commandUsage(command).split('\nFlags:\n')[1]!.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== 'help');

/** Just enough arguments for `command` to parse, so that a flag is judged alone. */
const base: Record<CommandName, string[]> = {
  train: [], evaluate: ['evaluate', 'ck'], predict: ['predict', 'ck', 'a.png'], explain: ['explain', 'ck', 'a.png', '--out', 'o', '--backward'], export: ['export', 'ck', '--out', 'w'],
};
const valueFor = (flag: string): string[] => (options[flag as keyof typeof options].type === 'boolean' ? [] : [{ preset: 'seed', optimizer: 'sgd', kernels: 'js', augment: 'none', label: '3', lr: '0.01', format: 'onnx' }[flag] ?? (/limit|epochs|size|threads|seed|stop/.test(flag) ? '2' : 'x')]);

describe('help', () => {
  it('--help or -h anywhere, or help COMMAND, gives that command\'s help, over any other error; alone, the program\'s', () => {
    for (const [argv, command] of [
      [['--help'], null], [['-h'], null], [['help'], null], [['-h', '--help'], null], [['fly', '--help'], null],
      [['evaluate', '--help'], 'evaluate'], [['predict', '--bogus', '-h'], 'predict'], [['--lr', 'fast', 'explain', '--help'], 'explain'],
      [['export', '--help', '--out'], 'export'], [['train', '--epochs', '-1', '--help'], 'train'], [['help', 'predict'], 'predict'],
      // A flag's value is not a command: `--out evaluate` names a folder.
      [['--out', 'evaluate', '--help'], null],
    ] as const) expect(parse(...argv), argv.join(' ')).toEqual(E.right({ kind: 'help', command }));
    // After `--`, --help is an argument like any other.
    expect(E.isLeft(parse('evaluate', '--', '--help', 'x'))).toBe(true);
    // An error points at its command's help.
    expect(helpPointer(['evaluate', 'a', 'b'])).toBe('run with evaluate --help for usage');
    expect(helpPointer(['--out', 'evaluate', '--bogus'])).toBe('run with --help for usage');
    expect(helpPointer(['--bogus'])).toBe('run with --help for usage');
  });

  it("each command's help names what it does, how it is called, its arguments, its flags and an example", () => {
    for (const c of COMMANDS) {
      const h = commandUsage(c);
      expect(h, c).toMatch(new RegExp(`^${c}: .+\\.\\n\\nUsage: npx tsx src/train.ts .*${c === 'train' ? '\\[train\\]' : c}`));
      expect(h, c).toContain('\nFlags:\n');
      expect(h, c).toMatch(/\nExample:\n {2}npx tsx src\/train\.ts .+\n$/);
      if (c !== 'train') expect(h, c).toMatch(/\nArguments:\n {2}CHECKPOINT /);
      expect(h, c).toContain('  -h, --help');
    }
    expect(commandUsage('predict')).toContain('exit code is then 2');
    expect(usage).toContain("npx tsx src/train.ts COMMAND --help");
  });

  it('a command takes exactly the flags its help lists, and every flag is listed by some command', () => {
    const all = Object.keys(options).filter((f) => f !== 'help');
    expect(all.filter((f) => !COMMANDS.some((c) => listed(c).includes(f)))).toEqual([]);
    for (const c of COMMANDS) {
      for (const f of all) {
        const r = parse(...base[c], `--${f}`, ...valueFor(f));
        const refused = E.isLeft(r) && new RegExp(`^--${f} (does not apply to|applies to)`).test(r.left);
        expect(refused, `${c} --${f}: ${E.isLeft(r) ? r.left : 'taken'}`).toBe(!listed(c).includes(f));
      }
    }
  });

  it('prints a command\'s help over a bad flag, exit 0; `help` prints the program\'s', () => {
    const r = cli(['predict', '--bogus', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(commandUsage('predict'));
    expect(r.stderr).toBe('');
    const g = cli(['help']);
    expect(g.code).toBe(0);
    expect(g.stdout).toBe(usage);
  });
});

describe('predict, explain and evaluate with bad or swapped files', () => {
  const net = seedNetwork({ init: 'he' });
  const params = net.init(key(1), MNIST_SHAPE);
  const seven = new Uint8Array(784);
  for (let x = 6; x < 22; x++) seven[5 * 28 + x] = 255;
  for (let y = 6; y < 24; y++) seven[y * 28 + Math.round(21 - (y - 6) * 0.5)] = 255;
  const files = () => {
    const d = tempDir('edges-');
    const f = { model: join(d, 'model.safetensors'), digit: join(d, 'digit.png'), other: join(d, 'other.png'), missing: join(d, 'missing.png') };
    writeFileSync(f.model, encodeWeights(params, 'test'));
    writeFileSync(f.digit, encodePng(digitRaster(seven, 1)));
    writeFileSync(f.other, encodePng(digitRaster(seven, 2)));
    return f;
  };

  it('a PNG given as the model is named as one, with how the command is called', async () => {
    const f = files();
    expect(await readModelFile(f.digit, 'predict')()).toEqual(E.left(
      `${f.digit} is a PNG image, not a checkpoint or weights file: the model comes first (predict CHECKPOINT IMAGE.png... [--save-input DIR])`));
    expect(await readModelFile(f.digit, 'explain')()).toEqual(E.left(
      `${f.digit} is a PNG image, not a checkpoint or weights file: the model comes first (explain CHECKPOINT IMAGE.png --out DIR [--backward [--label N] [--lr X]])`));
    expect(await readModelFile(f.digit, 'evaluate')()).toEqual(E.left(
      `${f.digit} is a PNG image, not a checkpoint or weights file (evaluate CHECKPOINT [--data-dir DIR] [--test-limit N] [--robustness])`));
    expect(await readModelFile(f.digit)()).toEqual(E.left(`${f.digit} is a PNG image, not a checkpoint or weights file`));
    expect(E.isRight(await readModelFile(f.model, 'predict')())).toBe(true);
  });

  it('predict answers each good picture on stdout and names each bad one on stderr, exit 2; swapped arguments get a hint', () => {
    const f = files();
    const r = cli(['predict', f.model, f.digit, f.missing, f.model, f.other]);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/: .*/, ''))).toEqual([f.digit, f.other]);
    expect(r.stdout).toMatch(/digit\.png: \d \([\d.]+%\), \d \([\d.]+%\), \d \([\d.]+%\)/);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: cannot read ${f.missing}: no such file`,
      `error: ${f.model} is a safetensors file (a model), not a PNG image: the model comes first, then the pictures`,
    ]);
    const swapped = cli(['predict', f.digit, f.model]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr.trim()).toBe(`error: ${f.digit} is a PNG image, not a checkpoint or weights file: the model comes first (predict CHECKPOINT IMAGE.png... [--save-input DIR])`);
  });
});

describe('a training run', () => {
  it('a seed-preset run of fewer steps than one epoch of the full set gets a note; a longer one or the default preset none', () => {
    const seed = { ...presets.seed };
    expect(shortRunNote(seed, 300)).toBe(
      'the seed preset (one image per step, plain SGD, lr warming up from 1e-5 to 0.001) needs tens of thousands of steps; this run has 2,700 ' +
      '(9 epochs of 300 images), fewer than one epoch of the full training set (60,000), and will likely end far below 99%, near one class ' +
      'with a few thousand: use the default preset for short runs');
    expect(shortRunNote(seed, 60_000)).toBeNull();
    expect(shortRunNote({ ...seed, epochs: 1 }, SEED_PRESET_MIN_STEPS - 1)).toContain('this run has 59,999 (1 epoch of 59,999 images)');
    expect(shortRunNote({ ...seed, epochs: 1 }, SEED_PRESET_MIN_STEPS)).toBeNull();
    expect(shortRunNote({ ...seed, batchSize: 64 }, 60_000)).toContain('(64 images per step, plain SGD,');
    expect(shortRunNote({ ...presets.default }, 300)).toBeNull();
  });

  it('names the kernel set that runs (wasm-fma where the runtime fuses multiply-adds) and prints the seed note', () => {
    const d = tempDir('edges-');
    // Two epochs stopped after the first: no final evaluation and robustness table to wait for.
    const args = ['--epochs', '2', '--stop-after', '1', '--train-limit', '20', '--test-limit', '20'];
    const r = cli(['--preset', 'seed', ...args, '--out', join(d, 'here')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`, kernels ${kernelsByName('wasm').name}, one thread`);
    expect(r.stderr).toMatch(/^note: the seed preset \(one image per step, .*this run has 40 \(2 epochs of 20 images\)/m);
    // The FMA kernels, here by V8's flag (Node 22 and later have them without it).
    const fma = spawnSync(NODE_TSX[0], ['--experimental-wasm-relaxed-simd', ...NODE_TSX.slice(1), ...args, '--out', join(d, 'fma')], { encoding: 'utf8', timeout: 120_000 });
    expect(fma.status, fma.stderr).toBe(0);
    expect(fma.stdout).toContain(', kernels wasm-fma, ');
    expect(fma.stderr).not.toContain('note: the seed preset');
  }, 300_000);
});
