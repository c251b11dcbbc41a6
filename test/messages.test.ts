// Messages that name the real cause, and the small things around a run that
// should not surprise: an empty path flag, a flag of another command, a
// weights file given to --resume, a symlink loop in the data folder, PNG
// headers and CRCs that pngjs would report as something else, the largest
// picture the README promises, a re-run hint naming only files that exist, a
// resume hint a shell reads back, a resume into a folder it cannot write.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { formatDataError } from '../src/formats/idx.ts';
import { loadSplit } from '../src/platform/mnist.ts';
import { decodePng } from '../src/platform/png.ts';
import { parseCommand } from '../src/program/flags.ts';
import { shellQuote } from '../src/program/shell-quote.ts';
import { cli, runUntil, NODE_TSX, tempDir } from './cli-run.ts';
import { pngChunk, pngFile } from './fuzz-helpers.ts';

const parseError = (...argv: string[]): string => {
  const r = parseCommand(argv, 2);
  if (E.isRight(r)) throw new Error(`expected an error for ${argv.join(' ')}`);
  return r.left;
};

describe('flags', () => {
  it('an empty path is refused by name; a flag of another command is refused, not ignored', () => {
    expect(parseError('--data-dir', '')).toBe('--data-dir "": must be a path, not empty');
    expect(parseError('--out', '')).toBe('--out "": must be a path, not empty');
    expect(parseError('--resume', '')).toBe('--resume "": must be a path, not empty');
    expect(parseError('evaluate', 'ck', '--data-dir', '')).toBe('--data-dir "": must be a path, not empty');
    expect(parseError('--save-input', 'dir')).toBe('--save-input applies to predict (a training run writes its own pictures)');
  });
});

describe('shellQuote', () => {
  it('leaves plain paths alone and quotes the rest so that sh reads back the same name', () => {
    expect(shellQuote('runs/2026-01-01_00-00-00/checkpoint.safetensors')).toBe('runs/2026-01-01_00-00-00/checkpoint.safetensors');
    for (const s of ['a b/c', "it's", 'ünïcode/ck', '$(rm -rf x)', 'a\nb', '*']) {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' }), s).toBe(s);
    }
  });
});

describe('data folder', () => {
  it('a symlink loop is named as one, not as a missing file', async () => {
    const d = tempDir('loop-');
    symlinkSync(join(d, 't10k-images-idx3-ubyte'), join(d, 't10k-images-idx3-ubyte'));
    const r = await loadSplit(d, 'test')();
    expect(E.isLeft(r) && formatDataError(r.left)).toBe(`${join(d, 't10k-images-idx3-ubyte')}: too many levels of symbolic links (a symlink loop)`);
  });
});

describe('PNG', () => {
  const ok = pngFile({ width: 2, height: 1 }, [0, 1, 2]);
  it('a bad CRC, compression method 1 or filter method 1 is named', () => {
    const badCrc = ok.slice();
    badCrc[29] ^= 1; // the IHDR chunk's CRC
    expect(decodePng(badCrc)).toEqual(E.left('unreadable PNG: chunk "IHDR" at byte 8 fails its CRC check (a damaged file)'));
    const header = (compression: number, filter: number): Uint8Array => Uint8Array.from([
      ...ok.subarray(0, 8), ...pngChunk('IHDR', [0, 0, 0, 2, 0, 0, 0, 1, 8, 0, compression, filter, 0]), ...ok.subarray(33),
    ]);
    expect(decodePng(header(1, 0))).toEqual(E.left('unreadable PNG: compression method 1 is not a PNG compression method (only 0, deflate)'));
    expect(decodePng(header(0, 1))).toEqual(E.left('unreadable PNG: filter method 1 is not a PNG filter method (only 0)'));
  });

  it('reads a 4096x4096 interlaced 8-bit RGBA picture, as the README promises', () => {
    // Adam7: 4 bytes a pixel and a filter byte for each of the 7680 rows of the seven passes.
    const png = pngFile({ width: 4096, height: 4096, colour: 6, interlace: 1 }, new Uint8Array(4096 * 4096 * 4 + 7680));
    const r = decodePng(png);
    expect(E.isRight(r) && [r.right.width, r.right.height]).toEqual([4096, 4096]);
  }, 60_000);
});

const small = ['--train-limit', '128', '--test-limit', '50', '--batch-size', '32', '--threads', '1'];

describe('the training program', () => {
  it('a weights file given to --resume says what it is and what --resume takes', () => {
    const r = cli(['--resume', 'models/default.safetensors']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("error: models/default.safetensors: a weights file (the parameters alone, without the optimizer state and position a run needs); --resume takes a run's checkpoint.safetensors");
  }, 60_000);

  it('a folder holding files but no checkpoint: the hint does not name a checkpoint to resume', () => {
    const d = tempDir('busy-');
    writeFileSync(join(d, 'notes.txt'), 'mine');
    const r = cli(['--out', d, ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${d} already holds files (and no checkpoint.safetensors to resume); choose another --out`);
  }, 60_000);

  it('the resume hint is shell-quoted: a folder with a space and non-ASCII letters', () => {
    const d = join(tempDir('quote-'), "run é 'x'");
    const r = cli(['--out', d, '--epochs', '2', '--stop-after', '1', ...small]);
    expect(r.code, r.stderr).toBe(0);
    const ck = join(d, 'checkpoint.safetensors');
    expect(r.stdout).toContain(`resume with: npx tsx src/train.ts --resume ${shellQuote(ck)}`);
    expect(shellQuote(ck)).toMatch(/^'.*'$/);
  }, 60_000);

  it('a resume in a folder it cannot write is refused before training', () => {
    const d = join(tempDir('ro-'), 'r');
    expect(cli(['--out', d, '--epochs', '2', '--stop-after', '1', ...small]).code).toBe(0);
    // As root permissions do not hold: the folder is made immutable instead.
    const root = process.getuid?.() === 0;
    if (root) execFileSync('chattr', ['+i', d]);
    else chmodSync(d, 0o555);
    try {
      const r = cli(['--resume', join(d, 'checkpoint.safetensors')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^error: cannot use ${join(d, 'run.lock')}: (permission denied|operation not permitted)$`));
      expect(r.stdout).not.toMatch(/^epoch 1 /m);
    } finally {
      if (root) execFileSync('chattr', ['-i', d]);
      else chmodSync(d, 0o755);
    }
  }, 120_000);

  it('Ctrl-C at once after the run directory is named leaves a resumable folder, never an empty one', async () => {
    const parent = tempDir('early-');
    const d = join(parent, 'r');
    let sent = false;
    const r = await runUntil([...NODE_TSX, '--out', d, '--epochs', '1', ...small], (pid, out) => {
      if (!sent && out.includes('run directory')) {
        sent = true;
        process.kill(pid, 'SIGINT');
      }
      return sent;
    });
    expect(r.status, r.out).toBe(130);
    expect(r.out).toMatch(/interrupted at epoch 0, step \d+: checkpoint saved/);
    expect(existsSync(join(d, 'checkpoint.safetensors'))).toBe(true);
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp') || f === 'run.lock')).toEqual([]);
  }, 60_000);
});
