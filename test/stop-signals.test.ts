// Every stop signal saves: SIGHUP (a closed terminal, a dropped ssh
// session) and SIGQUIT to the whole group as SIGTERM does, with the exit
// status a shell expects (128 + the signal); and a signal a supervisor sends
// to npm's PID alone (docker stop, a process manager) reaches the training or
// is noticed by it, so it saves and stops rather than training on as an orphan.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NODE_TSX, position, runUntil, tempDir } from './cli-run.ts';

// 6,000 images at batch 64 take several seconds: 1.5 s in, on a busy machine maybe still starting.
const midStep = ['--epochs', '2', '--train-limit', '6000', '--test-limit', '500', '--threads', '1'];

const stopAfterStart = (command: readonly string[], signal: NodeJS.Signals, target: 'group' | 'launcher') => {
  const dir = join(tempDir('stop-'), 'r');
  let sent = false;
  const outcome = runUntil([...command, '--out', dir, ...midStep], (pid, out) => {
    if (!sent && out.includes('run directory')) {
      sent = true;
      setTimeout(() => process.kill(target === 'group' ? -pid : pid, signal), 1500);
    }
    return sent;
  });
  return outcome.then((o) => ({ ...o, dir }));
};

/** Stopped during the first epoch, saying so, with the checkpoint at the step it names. */
const savedMidEpoch = (r: { readonly out: string; readonly dir: string }, said: RegExp): void => {
  const m = new RegExp(`${said.source} at epoch 0, step (\\d+): checkpoint saved`).exec(r.out);
  expect(m, r.out).not.toBeNull();
  expect(r.out).not.toMatch(/final test accuracy/); // it stopped; it did not train on to the end
  expect(position(r.dir)).toEqual({ epoch: 0, step: Number(m![m!.length - 1]) });
};

describe('SIGHUP and SIGQUIT to the group save like SIGTERM', () => {
  it.each([
    ['SIGHUP', 129, /hung up \(SIGHUP\)/],
    ['SIGQUIT', 131, /quit \(SIGQUIT\)/],
  ] as const)('%s under node: exit %i, the checkpoint at the last finished step', async (signal, status, said) => {
    const r = await stopAfterStart(NODE_TSX, signal, 'group');
    expect(r.status, r.out).toBe(status);
    savedMidEpoch(r, said);
  }, 60_000);

  it('SIGHUP under npx tsx (npx and tsx die of it; the program saves)', async () => {
    const r = await stopAfterStart(['npx', 'tsx', 'src/train.ts'], 'SIGHUP', 'group');
    expect(r.status, r.out).toBe(129);
    savedMidEpoch(r, /hung up \(SIGHUP\)/);
  }, 60_000);
});

describe("a signal to npm's PID alone", () => {
  const npmRun = ['npm', 'run', '--silent', 'train', '--'];
  it('TERM to npm run train: the training saves and exits 143, no orphan', async () => {
    const r = await stopAfterStart(npmRun, 'SIGTERM', 'launcher');
    expect(r.status, r.out).toBe(143);
    savedMidEpoch(r, /terminated/);
  }, 60_000);

  it('INT to npm run train: the training saves and exits 130', async () => {
    const r = await stopAfterStart(npmRun, 'SIGINT', 'launcher');
    expect(r.status, r.out).toBe(130);
    savedMidEpoch(r, /interrupted/);
  }, 60_000);

  it('TERM to npx alone: its shell dies, the training notices its launcher is gone, saves and stops', async () => {
    const r = await stopAfterStart(['npx', 'tsx', 'src/train.ts'], 'SIGTERM', 'launcher');
    expect(r.status).toBe(143); // npx's own status, as the supervisor sees it
    savedMidEpoch(r, /stopped \(its launcher, (sh|npx) \(PID \d+\), is gone\)/);
  }, 60_000);

  it('HUP to npm alone: npm dies, the training notices and saves', async () => {
    const r = await stopAfterStart(npmRun, 'SIGHUP', 'launcher');
    expect(r.status).toBe(129);
    savedMidEpoch(r, /stopped \(its launcher, npm \(PID \d+\), is gone\)/);
  }, 60_000);
});
