// vitest's global setup: the whole run gets a temp folder of its own (TMPDIR,
// which test workers and every program they start inherit), and the run fails
// if anything is left in it at the end, naming what. Tool caches that land
// there (tsx's compiled files, Node's compile cache) are not the tests' and
// are removed with the folder.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOOL_CACHES = /^(tsx-\d+|node-compile-cache)$/;

export default function setup(): () => void {
  const before = process.env['TMPDIR'];
  const root = mkdtempSync(join(tmpdir(), 'mnist-cnn-ts-tests-'));
  process.env['TMPDIR'] = root;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    const left = readdirSync(root).filter((f) => !TOOL_CACHES.test(f)).sort();
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    if (left.length > 0) {
      // vitest only logs an error thrown here; the exit code is what fails the run.
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp folder (make them with tempDir of test/temp-dir.ts): ${left.join(', ')}`);
    }
  };
}
