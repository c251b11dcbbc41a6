// Output is never a reason to lose work: a training run whose stdout is a
// pipe that its reader closes (`| head -3`) or a full device (`> /dev/full`)
// stops printing and trains on to its end, with no stack trace and no temp
// file left in its folder.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_TRACE, NODE_TSX, position, tempDir } from './cli-run.ts';

const run = ['--epochs', '1', '--train-limit', '640', '--test-limit', '100', '--threads', '1'];

const finished = (dir: string): void => {
  expect(position(dir)).toEqual({ epoch: 1, step: 0 });
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f === 'run.lock')).toEqual([]);
  for (const f of ['metrics.json', 'confusion.png', 'robustness.json']) expect(existsSync(join(dir, f)), f).toBe(true);
};

describe('stdout that fails under a run', () => {
  it('a reader that closes the pipe after the first line (| head -1): the run goes on to its end, exit 0, no trace', async () => {
    const dir = join(tempDir('out-'), 'r');
    const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), '--out', dir, ...run], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(NO_TRACE);
    expect(code, err).toBe(0);
    finished(dir);
  }, 60_000);

  it('stdout on a full device (> /dev/full): one note on stderr, the run goes on to its end, exit 0', async () => {
    const dir = join(tempDir('out-'), 'r');
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), '--out', dir, ...run], { stdio: ['ignore', full, 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(err).not.toMatch(NO_TRACE);
      expect(err.trim()).toBe('note: standard output failed (no space left on the device); going on without printing there');
      expect(code).toBe(0);
      finished(dir);
    } finally {
      closeSync(full);
    }
  }, 60_000);
});
