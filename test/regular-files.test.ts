// Only regular files are read: a FIFO (which would make the reader wait for
// a writer forever), a socket, a device or a directory given as a
// checkpoint, an image, a data file or a resume is refused at once with one
// line saying what it is.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { readFileBytes } from '../src/platform/atomic-write.ts';
import { defaultMnistDir } from '../src/platform/mnist.ts';
import { cli, tempDir } from './cli-run.ts';

const fifo = (path: string): string => {
  execFileSync('mkfifo', [path]);
  return path;
};

const MODEL = 'models/default.safetensors';
const DIGIT = 'test/fixtures/drawn/4-heavy.png';

/** Exit 2 within seconds, one line naming the path and what it is. */
const refused = (args: readonly string[], path: string, kind: string): void => {
  const r = cli(args, 30_000);
  expect(r.timedOut, `${args.join(' ')} hung`).toBe(false);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim()).toMatch(new RegExp(`^error: .*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not a regular file \\(${kind}\\)$`));
};

describe('readFileBytes', () => {
  it('refuses a FIFO, a socket, a device and a directory at once', async () => {
    const d = tempDir('reg-');
    const f = fifo(join(d, 'f'));
    const sock = join(d, 's.sock');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(await readFileBytes(f)()).toEqual(E.left(`cannot read ${f}: is not a regular file (a FIFO)`));
      expect(await readFileBytes(sock)()).toEqual(E.left(`cannot read ${sock}: is not a regular file (a socket)`));
      expect(await readFileBytes('/dev/null')()).toEqual(E.left('cannot read /dev/null: is not a regular file (a character device)'));
      expect(await readFileBytes(d)()).toEqual(E.left(`cannot read ${d}: is not a regular file (a directory)`));
      // A link to a FIFO is what it points to.
      symlinkSync(f, join(d, 'link'));
      expect(await readFileBytes(join(d, 'link'))()).toEqual(E.left(`cannot read ${join(d, 'link')}: is not a regular file (a FIFO)`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the program given a FIFO', () => {
  it('as the checkpoint of evaluate, predict and export', () => {
    const f = fifo(join(tempDir('reg-'), 'ck.safetensors'));
    refused(['evaluate', f, '--test-limit', '10'], f, 'a FIFO');
    refused(['predict', f, DIGIT], f, 'a FIFO');
    refused(['export', f, '--out', `${f}.out`], f, 'a FIFO');
  }, 120_000);

  it('as the image of predict and explain', () => {
    const d = tempDir('reg-');
    const f = fifo(join(d, 'digit.png'));
    refused(['predict', MODEL, f], f, 'a FIFO');
    refused(['explain', MODEL, f, '--out', join(d, 'why')], f, 'a FIFO');
  }, 120_000);

  it('as --resume', () => {
    const f = fifo(join(tempDir('reg-'), 'checkpoint.safetensors'));
    refused(['--resume', f], f, 'a FIFO');
  }, 60_000);

  it('as a data file in --data-dir', () => {
    const d = tempDir('reg-');
    const data = join(d, 'data');
    mkdirSync(data);
    copyFileSync(join(defaultMnistDir(), 't10k-labels-idx1-ubyte'), join(data, 't10k-labels-idx1-ubyte'));
    const f = fifo(join(data, 't10k-images-idx3-ubyte'));
    refused(['evaluate', MODEL, '--data-dir', data], f, 'a FIFO');
  }, 60_000);

  it('a directory or a device as the checkpoint', () => {
    const d = tempDir('reg-');
    refused(['evaluate', d], d, 'a directory');
    refused(['predict', '/dev/zero', DIGIT], '/dev/zero', 'a character device');
  }, 60_000);
});
