// Running the training program as a child process for the tests of what
// users meet around a run (closed output, signals, locks, temp files):
// temp folders that are always removed (test/temp-dir.ts), and a checkpoint's position.

import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { decodeCheckpoint } from '../src/program/recipe/checkpoint.ts';

export { tempDir } from './temp-dir.ts';

export const NODE_TSX = [process.execPath, '--import', 'tsx', 'src/train.ts'] as const;

/** The program run to its end: exit code (128 + a signal's number if one ended it), stdout, stderr. */
export const cli = (args: readonly string[], timeout = 120_000) => {
  const r = spawnSync(NODE_TSX[0], [...NODE_TSX.slice(1), ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined || r.signal === 'SIGTERM' };
};

export interface Outcome {
  /** What a shell reports: the exit code, or 128 + the signal that ended the launcher. */
  readonly status: number;
  readonly out: string;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/**
 * Starts `command` in its own process group and calls `when(child pid, output so far)` on every
 * piece of output until it returns true; resolves when every process holding its output has
 * ended (an orphaned training run too).
 */
export const runUntil = (command: readonly string[], when: (pid: number, out: string) => boolean, options: SpawnOptions = {}): Promise<Outcome> => {
  const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  let done = false;
  const onData = (d: Buffer): void => {
    out += d.toString();
    if (!done) done = when(child.pid!, out);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return new Promise((resolve) =>
    child.on('close', (code, sig) => resolve({ status: code ?? 128 + (SIGNAL_NUMBERS[sig ?? ''] ?? 0), out })));
};

/** Where the checkpoint in `dir` stands. */
export const position = (dir: string): { readonly epoch: number; readonly step: number } => {
  const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))));
  if (E.isLeft(c)) throw new Error(c.left);
  return { epoch: c.right.state.epoch, step: c.right.state.step };
};

/** No stack trace: no "at f (file.ts:12)" line, no Node error banner. */
export const NO_TRACE = /\bat .*\.[cm]?[jt]s:\d+|Unhandled 'error' event|^\s+at /m;
