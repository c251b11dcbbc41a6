// The one way tests make temporary folders: each is removed when the test
// that made it ends (or, made outside a test, when its file ends), so the
// suite leaves nothing in the temp folder. test/global-temp.ts checks that.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const remove = (d: string): void => rmSync(d, { recursive: true, force: true, maxRetries: 3 });

const ofFile: string[] = [];
afterAll(() => {
  for (const d of ofFile.splice(0)) remove(d);
});

/** A fresh folder in the temp folder, removed after the test that asked for it (after the file, outside a test). */
export const tempDir = (prefix = 'test-'): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => remove(d));
  } catch {
    // Not inside a test (a describe block or a beforeAll): the folder lives as long as the file.
    ofFile.push(d);
  }
  return d;
};
