// One run per folder, and the folder's temp files are the run's business:
// a lock file naming the process that trains there refuses a second run or
// resume (naming that process), a lock left by a process that is gone is
// taken over with a note, and every temp file a killed run left (the
// checkpoint's and the reports') is removed at the next start or resume.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { claimDirectory } from '../src/program/run-dir.ts';
import { LOCK_FILE, lockRunFolder } from '../src/program/run-lock.ts';
import { cli, NODE_TSX, runUntil, tempDir } from './cli-run.ts';

/** A PID no process has: above Linux's largest. */
const DEAD_PID = 2 ** 22 + 1;

const lockOf = (pid: number, host = hostname()): string => JSON.stringify({ pid, host, started: '2026-01-01T00:00:00.000Z' });

describe('lockRunFolder', () => {
  it('refuses a folder locked by a live process, naming it; leaves its lock alone', async () => {
    const d = tempDir('lock-');
    writeFileSync(join(d, LOCK_FILE), lockOf(process.ppid));
    const r = await lockRunFolder(d)();
    expect(r).toEqual(E.left(`${d} is in use by process ${process.ppid} on ${hostname()} (since 2026-01-01T00:00:00.000Z): one run per folder; wait for it to end, or stop it (if that PID is no training run, remove ${join(d, LOCK_FILE)})`));
    expect(readFileSync(join(d, LOCK_FILE), 'utf8')).toBe(lockOf(process.ppid));
  });

  it('takes over a lock whose process is gone, with a note, and releases its own', async () => {
    const d = tempDir('lock-');
    writeFileSync(join(d, LOCK_FILE), lockOf(DEAD_PID));
    const r = await lockRunFolder(d)();
    if (E.isLeft(r)) throw new Error(r.left);
    expect(r.right.note).toMatch(new RegExp(`^took over .*run\\.lock from process ${DEAD_PID} on .*, which is no longer running$`));
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    r.right.release();
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses a lock of another host (its process cannot be checked) and a file that is no lock', async () => {
    const d = tempDir('lock-');
    writeFileSync(join(d, LOCK_FILE), lockOf(DEAD_PID, 'elsewhere.example'));
    expect(await lockRunFolder(d)()).toEqual(E.left(`${d} is in use by process ${DEAD_PID} on elsewhere.example (since 2026-01-01T00:00:00.000Z); if that run has ended, remove ${join(d, LOCK_FILE)}`));
    writeFileSync(join(d, LOCK_FILE), 'garbage');
    expect(await lockRunFolder(d)()).toEqual(E.left(`${join(d, LOCK_FILE)} is not a lock this program wrote (not JSON); remove it if no run uses the folder`));
  });
});

describe('lockRunFolder across processes', () => {
  it('six processes that find one stale lock at once: exactly one takes it over, the others name it', async () => {
    const d = tempDir('lock-');
    writeFileSync(join(d, LOCK_FILE), lockOf(DEAD_PID));
    // Each holds what it won for 6 s, so every contender meets the winner's lock, not an empty folder.
    const contender = `import { lockRunFolder } from './src/program/run-lock.ts';
      const r = await lockRunFolder(${JSON.stringify(d)})();
      console.log(r._tag === 'Right' ? 'won' : r.left);
      await new Promise((resolve) => setTimeout(resolve, 6000));`;
    const results = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', contender], { encoding: 'utf8' }, (_, out) => resolve(out.trim()));
    })));
    expect(results.filter((r) => r === 'won'), results.join('\n')).toHaveLength(1);
    for (const r of results.filter((x) => x !== 'won')) expect(r).toMatch(new RegExp(`^${d} is in use by process \\d+ on `));
    expect(readdirSync(d)).toEqual([]); // the winner's lock and its claim went with it
  }, 60_000);
});

describe('temp files of killed writers', () => {
  it('a folder holding only dead processes\' temp files counts as empty for a new run, and is cleaned', async () => {
    const d = tempDir('claim-');
    writeFileSync(join(d, `checkpoint.safetensors.${DEAD_PID}.0123456789ab.tmp`), '');
    expect(await claimDirectory(d, 'busy')()).toEqual(E.right(undefined));
    expect(readdirSync(d)).toEqual([]);
  });
});

const stopped = ['--epochs', '2', '--stop-after', '1', '--train-limit', '128', '--test-limit', '50', '--batch-size', '32', '--threads', '1'];

describe('the training program in a folder', () => {
  it('two resumes of one run at once: the second is refused at once, naming the first', async () => {
    const d = join(tempDir('two-'), 'r');
    expect(cli(['--out', d, '--epochs', '2', '--stop-after', '1', '--train-limit', '3000', '--test-limit', '50', '--threads', '1']).code).toBe(0);
    const ck = join(d, 'checkpoint.safetensors');
    let second: ReturnType<typeof cli> | null = null;
    const first = await runUntil([...NODE_TSX, '--resume', ck], (_, out) => {
      if (!out.includes('resuming at epoch 1')) return false;
      second = cli(['--resume', ck]);
      return true;
    });
    expect(first.status, first.out).toBe(0);
    expect(second!.code).toBe(2);
    expect(second!.stderr.trim()).toMatch(new RegExp(`^error: ${d} is in use by process \\d+ on .*: one run per folder; wait for it to end, or stop it \\(if that PID is no training run, remove .*run\\.lock\\)$`));
    expect(second!.stdout).not.toMatch(/epoch 1 /); // it trained nothing
    expect(JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8'))).toHaveLength(2);
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('a stale lock is taken over with a note; every temp file a killed run left is removed on resume', () => {
    const d = join(tempDir('stale-'), 'r');
    expect(cli(['--out', d, ...stopped]).code).toBe(0);
    writeFileSync(join(d, LOCK_FILE), lockOf(DEAD_PID));
    const temps = ['checkpoint.safetensors', 'metrics.csv', 'metrics.json', 'loss.svg', 'confusion.png', 'robustness.json'].map((f) => `${f}.${DEAD_PID}.0123456789ab.tmp`);
    for (const t of temps) writeFileSync(join(d, t), '');
    const r = cli(['--resume', join(d, 'checkpoint.safetensors')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^note: took over .*run\\.lock from process ${DEAD_PID} on .*, which is no longer running$`, 'm'));
    for (const t of temps) expect(r.stdout).toContain(`removed ${t}, left by a save that was killed`);
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp') || f === LOCK_FILE)).toEqual([]);
  }, 120_000);
});
