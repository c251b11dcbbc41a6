// Run directories: a run creates its own or takes an empty one, never one
// that holds files; a default name taken in the same second gets a suffix;
// an exclusive write never replaces a file.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/platform/atomic-write.ts';
import { claimDirectory, claimFreshDirectory } from '../src/program/run-dir.ts';
import { tempDir } from './temp-dir.ts';

const tmp = (): string => tempDir('run-dir-');

describe('claimDirectory', () => {
  it('creates a new directory with its parents, or takes an empty one', async () => {
    const d = join(tmp(), 'a', 'b');
    expect(await claimDirectory(d, 'busy')()).toEqual(E.right(undefined));
    expect(readdirSync(d)).toEqual([]);
    expect(await claimDirectory(d, 'busy')()).toEqual(E.right(undefined));
  });

  it('refuses a directory that holds files, a file, and a path through a file', async () => {
    const d = tmp();
    writeFileSync(join(d, 'keep.txt'), 'keep me');
    expect(await claimDirectory(d, 'busy')()).toEqual(E.left('busy'));
    expect(readFileSync(join(d, 'keep.txt'), 'utf8')).toBe('keep me');
    expect(await claimDirectory(join(d, 'keep.txt'), 'busy')()).toEqual(E.left(`${join(d, 'keep.txt')} is a file, not a directory`));
    expect(await claimDirectory(join(d, 'keep.txt', 'run'), 'busy')()).toEqual(E.left(`cannot create directory ${join(d, 'keep.txt')}: a file is in the way`));
  });
});

describe('claimFreshDirectory', () => {
  it('adds a suffix when the name is taken, also by runs started together', async () => {
    const base = join(tmp(), 'runs', '2024-01-01_00-00-00');
    const names = await Promise.all([1, 2, 3].map(() => claimFreshDirectory(base)()));
    expect(names.map((n) => (E.isRight(n) ? n.right : n.left)).sort()).toEqual([base, `${base}-2`, `${base}-3`]);
  });

  it('never takes an existing directory, even an empty one', async () => {
    const base = join(tmp(), 'r');
    mkdirSync(base);
    expect(await claimFreshDirectory(base)()).toEqual(E.right(`${base}-2`));
  });
});

describe('writeFileAtomic, exclusive', () => {
  it('creates the file once and never replaces it', async () => {
    const f = join(tmp(), 'checkpoint.safetensors');
    expect(await writeFileAtomic(f, new Uint8Array([1]), { exclusive: true })()).toEqual(E.right(undefined));
    expect(await writeFileAtomic(f, new Uint8Array([2]), { exclusive: true })()).toEqual(E.left(`cannot write ${f}: already exists`));
    expect(Array.from(readFileSync(f))).toEqual([1]);
    expect(readdirSync(join(f, '..'))).toEqual(['checkpoint.safetensors']); // no temp file left
  });
});
