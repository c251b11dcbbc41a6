// The README's and the docs' programs run as written: each code block is saved
// as a file in the project folder and run with tsx (the package's own name
// pointing at its sources), and what it prints is checked.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README: the library in 20 lines', () => {
  it('trains a network of its own on MNIST and prints what the text says', () => {
    const code = /```js\n([\s\S]*?)```/.exec(readFileSync('README.md', 'utf8'))?.[1];
    expect(code).toBeDefined();
    expect(code!.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(20);
    const file = `front-${process.pid}.mts`;
    writeFileSync(file, code!.replace("from 'mnist-cnn-ts/node'", "from './src/node.ts'").replace("from 'mnist-cnn-ts'", "from './src/index.ts'"));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(0, 2).map((l) => l.replace(/[\d.]+%/, 'N%'))).toEqual(['epoch 0: N% on the test images', 'epoch 1: N% on the test images']);
      for (const l of lines.slice(0, 2)) expect(Number(/([\d.]+)%/.exec(l)![1])).toBeGreaterThan(95);
      expect(lines[2]).toBe('finished');
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('docs/library.md: the library consumer', () => {
  it('quotes test/consumer/net.mjs and consumer.mjs as they are (the package test runs them)', () => {
    const readme = readFileSync('docs/library.md', 'utf8');
    for (const f of ['test/consumer/net.mjs', 'test/consumer/consumer.mjs']) expect(readme, f).toContain('```js\n' + readFileSync(f, 'utf8') + '```');
  });
});

describe('docs/library.md: the tour', () => {
  it('runs and prints what the comments say', () => {
    const readme = readFileSync('docs/library.md', 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const file = `tour-${process.pid}.ts`;
    writeFileSync(file, code!);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('[ 37, 47, 67, 77 ]');
      expect(r.stdout).toContain('[ 1, 2, 4, 5 ]');
      expect(r.stdout).toMatch(/gradients match on 13 entries/);
      expect(r.stdout).toContain('359,846');
      const [before, after] = r.stdout.trim().split('\n').pop()!.split(' ').map(Number);
      expect(after!).toBeLessThan(before!);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('docs/page.md', () => {
  it('runs its example and prints what the comments say', () => {
    const code = /```ts\n([\s\S]*?)```/.exec(readFileSync('docs/page.md', 'utf8'))?.[1];
    expect(code).toBeDefined();
    const file = `page-example-${process.pid}.ts`;
    writeFileSync(file, code!);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['[ 1, 28, 28, 16 ]', '9', 'true']);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('docs/internals.md', () => {
  it('runs its programs and they print what their comments say', () => {
    const blocks = [...readFileSync('docs/internals.md', 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBe(2);
    const want = [/^true \[ 8, 10 \]$/m, /^true$/m];
    blocks.forEach((code, i) => {
      const file = `internals-${process.pid}-${i}.mts`;
      writeFileSync(file, code.replace("from 'mnist-cnn-ts/node'", "from './src/node.ts'").replace("from 'mnist-cnn-ts'", "from './src/index.ts'"));
      try {
        const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(want[i]!);
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
});
