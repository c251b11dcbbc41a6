// The README's tour runs as written: its code block is saved as a file in the
// project folder and run with tsx, and what it prints is checked.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README: the library consumer', () => {
  it('quotes test/consumer/net.mjs and consumer.mjs as they are (the package test runs them)', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const f of ['test/consumer/net.mjs', 'test/consumer/consumer.mjs']) expect(readme, f).toContain('```js\n' + readFileSync(f, 'utf8') + '```');
  });
});

describe('README tour', () => {
  it('runs and prints what the comments say', () => {
    const readme = readFileSync('README.md', 'utf8');
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
