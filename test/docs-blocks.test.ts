// Every code block of README.md and docs/*.md, as a reader would use it.
// js and ts blocks are programs: each is saved in the project folder, run
// with tsx (the package's names pointing at its sources) and what it prints
// is checked. sh blocks are command lines: each command is checked against
// the training program's own flag parser, package.json's scripts and the
// files it names. text blocks show output and are not run. A block this file
// does not know fails the suite, so an example cannot go unrun.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { parseCommand } from '../src/program/flags.ts';

interface Block {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

const DOCS = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

const blocksOf = (file: string): Block[] => {
  const out: Block[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    out.push({ lang: open[1]!, code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 });
    i = end;
  }
  return out;
};

/** The js/ts programs of a file, numbered from 1 in the order they appear. */
const programsOf = (file: string): Block[] => blocksOf(file).filter((b) => b.lang === 'js' || b.lang === 'ts');

/** What a program must print: lines to contain or patterns to match, or a file it must quote exactly. */
type Expect = { readonly prints: ReadonlyArray<string | RegExp>; readonly timeout?: number; readonly check?: (stdout: string) => void } | { readonly quotes: string };

const PROGRAMS: Record<string, Expect> = {
  // The library in 20 lines: a network of the reader's own, trained on all of MNIST.
  'README.md#1': {
    prints: [/^epoch 0: [\d.]+% on the test images$/m, /^epoch 1: [\d.]+% on the test images$/m, /^finished$/m],
    timeout: 300_000,
    check: (out) => {
      for (const m of out.matchAll(/([\d.]+)% on the test images/g)) expect(Number(m[1])).toBeGreaterThan(95);
    },
  },
  'docs/library.md#1': { prints: [] },
  'docs/library.md#2': { prints: ['[ 2, 3 ] Float32Array', '[ 3, 2 ] [ 1, 2, 3, 4, 5, 6 ]', 'Float64Array(4) [ 0, 0, 0, 0 ]', 'true false\n2\n'] },
  'docs/library.md#3': { prints: [/^\[ 37, 47, 67, 77 \]\n\[ 1, 2, 4, 5 \]\ntrue\ntrue\n6 of 12 gradient entries differ; first: w\[0\] analytic -1\.108\d* vs numeric -2\.835\d*\n$/] },
  'docs/library.md#4': { prints: [/total\s+13,610\s+62,192/, /^\[ 'w' \] \[ 1352, 10 \]\ntrue true$/m] },
  'docs/library.md#5': { prints: [/^0 0\.9\d+\n1 0\.9\d+\nfinished\n$/], timeout: 180_000 },
  'docs/library.md#6': { prints: [/^true true\n\[ 8, 10 \]\ntrue true\n$/], timeout: 120_000 },
  'docs/library.md#7': { prints: [/^true\n$/], timeout: 120_000 },
  'docs/library.md#8': { prints: [/^\[ 10 \] true\nthe file holds another network's parameters: layer hidden: the file's outputs \[32\], the network's \[16\]\n$/] },
  // The package test installs the tarball and runs these two files under Node 20 and 24.
  'docs/library.md#9': { quotes: 'test/consumer/net.mjs' },
  'docs/library.md#10': { quotes: 'test/consumer/consumer.mjs' },
  // The --network module: test/user-network.test.ts trains, resumes, evaluates and predicts with it.
  'docs/cli.md#1': { prints: [] },
  'docs/page.md#1': { prints: [/^\[ 1, 28, 28, 16 \]\n9\ntrue\n$/] },
  'docs/internals.md#1': { prints: [/^true \[ 8, 10 \]$/m], timeout: 120_000 },
  'docs/internals.md#2': { prints: [/^true$/m], timeout: 120_000 },
};

const runProgram = (code: string, name: string, timeout: number): string => {
  const file = `${name}-${process.pid}.mts`;
  writeFileSync(file, code.replaceAll("from 'mnist-cnn-ts/node'", "from './src/node.ts'").replaceAll("from 'mnist-cnn-ts'", "from './src/index.ts'"));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout });
    expect(r.status, `${name} exited ${r.status}: ${r.stderr}`).toBe(0);
    return r.stdout;
  } finally {
    rmSync(file, { force: true });
  }
};

describe('every code block of the README and docs', () => {
  it('is a js, ts, sh or text block, and every program is known here', () => {
    const known = new Set(Object.keys(PROGRAMS));
    for (const file of DOCS) {
      for (const b of blocksOf(file)) expect(['js', 'ts', 'sh', 'text'], `${file}:${b.line}: a block of '${b.lang}'`).toContain(b.lang);
      programsOf(file).forEach((b, i) => expect(known.has(`${file}#${i + 1}`), `${file}:${b.line} is a program no test runs`).toBe(true));
    }
    for (const k of known) {
      const [file, n] = k.split('#');
      expect(programsOf(file!).length, `${k} names a block that is gone`).toBeGreaterThanOrEqual(Number(n));
    }
  });

  it('the README example is at most 20 lines', () => {
    expect(programsOf('README.md')[0]!.code.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(20);
  });

  for (const [k, want] of Object.entries(PROGRAMS)) {
    const [file, n] = k.split('#');
    it(`${k} ${'quotes' in want ? `quotes ${want.quotes}` : 'runs and prints what its text says'}`, { timeout: ('timeout' in want ? want.timeout : undefined) ?? 120_000 }, () => {
      const block = programsOf(file!)[Number(n) - 1]!;
      if ('quotes' in want) {
        expect(block.code).toBe(readFileSync(want.quotes, 'utf8'));
        return;
      }
      const out = runProgram(block.code, k.replace(/[^a-z0-9]+/gi, '-'), want.timeout ?? 120_000);
      for (const p of want.prints) {
        if (typeof p === 'string') expect(out).toContain(p);
        else expect(out).toMatch(p);
      }
      want.check?.(out);
    });
  }
});

// The commands of sh blocks, checked without running the long ones: the
// training program's arguments parse, npm scripts exist, named files exist.
const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);

const checkCommand = (cmd: string, where: string): void => {
  const words = cmd.trim().split(/\s+/);
  const [a, b, c] = words;
  const train = (args: readonly string[]): void => {
    const r = parseCommand(args, 2);
    expect(E.isRight(r), `${where}: ${cmd}: ${E.isLeft(r) ? r.left : ''}`).toBe(true);
  };
  if (a === 'npx' && b === 'tsx' && c === 'src/train.ts') train(words.slice(3));
  else if (a === 'npx' && b === 'tsx') expect(existsSync(c!), `${where}: ${c} does not exist`).toBe(true);
  else if (a === 'npm' && b === 'run' && c === 'train') train(words.slice(words.indexOf('--') + 1));
  else if (a === 'npm' && b === 'run') expect(scripts, `${where}: npm run ${c}`).toContain(c);
  else if (a === 'npm') expect(['ci', 'test', 'pack', 'i', 'install'], `${where}: npm ${b}`).toContain(b);
  else expect(['cd', 'apt-get', 'sudo'], `${where}: ${cmd}`).toContain(a);
};

describe('the command lines of the README and docs', () => {
  it('name the program\'s real flags, scripts and files', () => {
    let checked = 0;
    for (const file of DOCS) {
      for (const b of blocksOf(file).filter((x) => x.lang === 'sh')) {
        b.code.split('\n').forEach((line, i) => {
          const cmd = line.replace(/\s#.*$/, '').replace(/^\$\s*/, '').trim();
          if (cmd === '') return;
          for (const part of cmd.split('&&')) {
            checkCommand(part, `${file}:${b.line + 1 + i}`);
            checked++;
          }
        });
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('and a wrong flag in one would fail', () => {
    expect(() => checkCommand('npx tsx src/train.ts --epoch 3', 'here')).toThrow();
    expect(() => checkCommand('npm run nothing', 'here')).toThrow();
  });
});
