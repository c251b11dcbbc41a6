// The launchers this process was started through: `npm run`, `npx`, the
// `sh -c` npm runs a script with, and tsx. A supervisor that signals npm's
// PID alone (docker stop, a process manager) ends npm and its shell, and tsx
// and this process, reparented, would train on with nobody waiting for them.
// Watching the launchers lets the program notice and stop with its work saved.
// Linux only (it reads /proc); elsewhere nothing is watched.

import { readFileSync } from 'node:fs';

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** 'Z' for a zombie: dead, not yet reaped by its parent. */
  readonly state: string;
  /** Clock ticks after boot: tells a recycled PID from the process it named. */
  readonly started: string;
  readonly command: string;
}

const info = (pid: number): ProcessInfo | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '').join(' ');
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '', started: fields[19] ?? '', command };
  } catch {
    return null;
  }
};

// npm and npx name themselves "npm run ..." / "npm exec ..."; tsx runs as "node .../tsx ..."; npm's shell is "sh -c ...".
const SHELL = /^(\/usr)?(\/bin\/)?(sh|dash|bash) -c /;
const LAUNCHER = new RegExp(`^(npm|npx)(\\s|$)|/npm-cli\\.js\\s|/npx-cli\\.js\\s|/tsx(\\s|$)|/tsx/dist/cli\\.m?js(\\s|$)|${SHELL.source}`);

/** The launcher's short name, for the message: sh, npx, npm or tsx. */
const nameOf = (command: string): string =>
  SHELL.test(command) ? 'sh' : /^npm exec|^npx|npx-cli/.test(command) ? 'npx' : /^npm|npm-cli/.test(command) ? 'npm' : 'tsx';

/** This process's ancestors while they are launchers, nearest first. */
const launchers = (): readonly ProcessInfo[] => {
  const found: ProcessInfo[] = [];
  for (let p = info(process.ppid); p !== null && p.pid > 1 && LAUNCHER.test(p.command); p = info(p.ppid)) found.push(p);
  return found;
};

const gone = (p: ProcessInfo): boolean => {
  const now = info(p.pid);
  return now === null || now.state === 'Z' || now.started !== p.started;
};

/**
 * Calls `onGone` once, with "npm (PID 123)", when one of the launchers this
 * process was started through has ended. Polls every `everyMs` without
 * keeping the process alive; returns a function that stops watching.
 */
export const watchLaunchers = (onGone: (launcher: string) => void, everyMs = 250): (() => void) => {
  const watched = launchers();
  if (watched.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const dead = watched.find(gone);
    if (dead === undefined) return;
    clearInterval(timer);
    onGone(`${nameOf(dead.command)} (PID ${dead.pid})`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
