// Ctrl-C and SIGTERM under the README's own launchers: `npx tsx`, `npm run
// train` and `node --import tsx`. tsx relays a signal and kills a child that
// has not answered it within about 30 ms, so the program's main thread must
// always be free (training runs in a worker thread). The signal goes to the
// whole process group, as a terminal's Ctrl-C does, mid-step and
// mid-evaluation; every run must exit 130 (143 for SIGTERM) with its work
// saved: the checkpoint at the last finished step.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/program/recipe/checkpoint.ts';
import { LOCK_FILE } from '../src/program/run-lock.ts';
import { tempDir } from './temp-dir.ts';

const launchers: Record<string, readonly string[]> = {
  'npx tsx': ['npx', 'tsx', 'src/train.ts'],
  'npm run train': ['npm', 'run', '--silent', 'train', '--'],
  'node --import tsx': [process.execPath, '--import', 'tsx', 'src/train.ts'],
};

/** `status` is what a shell reports: the exit code, or 128 + the signal that ended the launcher. */
interface Outcome { readonly status: number; readonly out: string; readonly dir: string; readonly signalledAt: number }

// The program's main thread must answer a signal within tsx's 30 ms (tsx kills it otherwise), which a
// save can take on a busy machine; so a test signals when the main thread is free. After the run
// directory is named, a new run saves its first checkpoint and then takes the folder's lock (a resume
// in place took it before), and the main thread has nothing more to do until the first epoch ends.
const started = (out: string, dir: string): boolean => out.includes('run directory') && existsSync(join(dir, LOCK_FILE));

/**
 * Runs the program in its own process group and sends `signal` to the group `delay` ms after `after`
 * (a test of the output so far and the run directory, asked on every output and every 50 ms; by
 * default, the run started), `times` times 40 ms apart.
 */
const interrupt = (launcher: readonly string[], args: readonly string[], signal: NodeJS.Signals, delay: number, after: (out: string, dir: string) => boolean = started, times = 1): Promise<Outcome> => {
  const dir = join(tempDir('sig-'), 'r');
  const child = spawn(launcher[0]!, [...launcher.slice(1), '--out', dir, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  let signalledAt = 0;
  const check = (): void => {
    if (!sent && after(out, dir)) {
      sent = true;
      clearInterval(poll);
      for (let i = 0; i < times; i++) {
        setTimeout(() => {
          if (i === 0) signalledAt = Date.now();
          process.kill(-child.pid!, signal);
        }, delay + 40 * i);
      }
    }
  };
  const poll = setInterval(check, 50);
  const onData = (d: Buffer): void => {
    out += d.toString();
    check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // npx and npm die of the signal at once, as in a terminal; the program they started goes on saving.
  // 'close' waits for every process holding the output pipes, so for the program too.
  return new Promise((resolve) =>
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ status: code ?? 128 + (sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 0), out, dir, signalledAt });
    }));
};

const position = (dir: string): { readonly epoch: number; readonly step: number } => {
  const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))));
  if (E.isLeft(c)) throw new Error(c.left);
  return { epoch: c.right.state.epoch, step: c.right.state.step };
};

/**
 * Where the program says it saved the run mid-epoch ("interrupted at epoch 0, step 12"). On a
 * machine busy enough that the worker has not finished a step 800 ms in, that is step 0: the
 * checkpoint must still be where the message says.
 */
const savedAt = (out: string, verb: string): { readonly epoch: number; readonly step: number } => {
  const m = new RegExp(`${verb} at epoch 0, step (\\d+): checkpoint saved`).exec(out);
  expect(m, out).not.toBeNull();
  return { epoch: 0, step: Number(m![1]) };
};

// 3,000 images at batch 64 take a few seconds: 800 ms in, a step is running (on a machine not too busy).
const midStep = ['--epochs', '2', '--train-limit', '3000', '--test-limit', '500', '--threads', '1'];
// Epochs of one step of 64 images, then a second or more evaluating 5,000 test images (more on a busy machine).
// When the line "epoch 0 ..." is printed the worker has begun epoch 1: its only step (which no stop can
// cut short, as no step follows) or its evaluation. The main thread then saves the checkpoint and writes
// the epoch's reports, confusion.svg last; once that file is there, a signal lands in epoch 1 on a free
// main thread however slow the machine (no fixed delay after the start could: starting the worker takes
// from one to several seconds), and epoch 1 must be kept.
const midEvaluation = ['--epochs', '3', '--train-limit', '64', '--test-limit', '5000', '--threads', '1'];
const epoch0Reported = (out: string, dir: string): boolean => /^epoch 0 /m.test(out) && existsSync(join(dir, 'confusion.svg'));

describe.each(Object.entries(launchers))('signals under %s', (_, launcher) => {
  it('Ctrl-C mid-step: exit 130, the checkpoint at the last finished step', async () => {
    const r = await interrupt(launcher, midStep, 'SIGINT', 800);
    expect(r.status, r.out).toBe(130);
    expect(r.out).not.toMatch(/still finishing/);
    expect(position(r.dir)).toEqual(savedAt(r.out, 'interrupted'));
  }, 60_000);

  it('Ctrl-C mid-evaluation: the finished epoch is kept', async () => {
    const r = await interrupt(launcher, midEvaluation, 'SIGINT', 100, epoch0Reported);
    expect(r.status, r.out).toBe(130);
    expect(r.out).toMatch(/^epoch 1 /m);
    expect(r.out).not.toMatch(/^epoch 2 /m);
    expect(r.out).toMatch(/interrupted at epoch 2, step 0: checkpoint saved/);
    expect(position(r.dir)).toEqual({ epoch: 2, step: 0 });
  }, 60_000);
});

describe('SIGTERM', () => {
  it('saves like Ctrl-C and exits 143', async () => {
    const r = await interrupt(launchers['node --import tsx']!, midStep, 'SIGTERM', 800);
    expect(r.status, r.out).toBe(143);
    expect(position(r.dir)).toEqual(savedAt(r.out, 'terminated'));
  }, 60_000);
});

describe('a writer killed during a save', () => {
  it('leaves a temporary file that the next resume removes', async () => {
    const r = await interrupt(launchers['node --import tsx']!, midStep, 'SIGINT', 800);
    expect(r.status).toBe(130);
    // What a SIGKILL in the middle of writing leaves: an empty temporary file of a dead process.
    const stale = join(r.dir, 'checkpoint.safetensors.999999999.0123456789ab.tmp');
    writeFileSync(stale, '');
    const resumed = await interrupt(launchers['node --import tsx']!, ['--resume', join(r.dir, 'checkpoint.safetensors')], 'SIGINT', 200);
    expect(resumed.status).toBe(130);
    expect(readdirSync(r.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('echoes and the end of a run', () => {
  it('two signals 40 ms apart (a launcher relaying one keypress) count as one', async () => {
    const r = await interrupt(launchers['node --import tsx']!, midStep, 'SIGINT', 800, started, 2);
    expect(r.status, r.out).toBe(130);
    expect(position(r.dir)).toEqual(savedAt(r.out, 'interrupted'));
    expect(r.out).not.toMatch(/still finishing|stopped during the save/);
  }, 60_000);

  it('Ctrl-C during the final robustness table skips it at once; the finished run is kept', async () => {
    // Once the last epoch's reports are written, the main thread is free and the table is under way.
    const r = await interrupt(launchers['npx tsx']!, ['--epochs', '1', '--train-limit', '64', '--test-limit', '10000', '--threads', '1'], 'SIGINT', 100, epoch0Reported);
    expect(r.status, r.out).toBe(130);
    expect(r.out).toMatch(/final test accuracy/);
    expect(r.out).toMatch(/robustness table skipped/);
    expect(position(r.dir)).toEqual({ epoch: 1, step: 0 });
    // The table over 10,000 images (six passes) takes far longer than this after the signal: it was cut short.
    expect(Date.now() - r.signalledAt).toBeLessThan(8_000);
  }, 60_000);
});
